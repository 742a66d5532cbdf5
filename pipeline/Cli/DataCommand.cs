using System.CommandLine;

namespace KnPipeline.Cli;

/// <summary><c>pipeline data</c>: commands about the public benchmark datasets (<c>data fetch</c>, plus any given).</summary>
public static class DataCommand
{
    /// <param name="extra">More subcommands of <c>data</c> (e.g. <c>stats</c>), attached after <c>fetch</c>.</param>
    public static Command Create(params Command[] extra)
    {
        var cmd = new Command("data", "Public benchmark datasets: download and inspect them");
        cmd.Subcommands.Add(DataFetchCommand.Create());
        foreach (var sub in extra) cmd.Subcommands.Add(sub);
        return cmd;
    }
}
