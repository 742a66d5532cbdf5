using System.CommandLine;

namespace KnPipeline.Cli;

/// <summary>Builds the command tree. Each command lives in its own file and exposes a static <c>Create()</c>.</summary>
public static class CliApp
{
    /// <summary>Exit codes shared by every command.</summary>
    public const int ExitOk = 0, ExitFailure = 1, ExitUsage = 2, ExitInterrupted = 130;

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("kn-pipeline: find and edit knowledge neurons in transformer language models");
        root.Subcommands.Add(SelfCheckCommand.Create());
        root.Subcommands.Add(DataStatsCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        // Without a subcommand the pipeline runs its main job.
        root.SetAction((_, ct) => SelfCheckCommand.RunAsync(ct));
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
                Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine("Run 'pipeline --help' for usage.");
            return ExitUsage;
        }
        try
        {
            return await parse.InvokeAsync();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitUsage;
        }
    }
}

/// <summary>Bad usage or configuration: the message is shown as is and the exit code is 2.</summary>
public sealed class UsageException(string message) : Exception(message);
