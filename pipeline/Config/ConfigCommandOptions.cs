using System.CommandLine;
using KnPipeline.Stages.Options;

namespace KnPipeline.Config;

/// <summary>
/// The <c>--config</c> and <c>--set</c> options of every command that reads pipeline.yaml, so they all spell, resolve
/// and report the config the same way. Create one instance per command:
/// <code>
/// var config = new ConfigCommandOptions();
/// config.AddTo(cmd);
/// cmd.SetAction(r => { var cfg = config.Load(r); ... });
/// </code>
/// </summary>
public sealed class ConfigCommandOptions
{
    public Option<string?> File { get; } = new("--config", "-c")
    {
        Description = $"Config file (default: ./{ConfigLoader.DefaultFileName} if present, else the embedded default)",
    };

    public Option<string[]> Set { get; } = new("--set")
    {
        Description = "Override one key, e.g. --set attribution.steps=50 --set data.languages=[en,fr] (repeatable)",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(File);
        command.Options.Add(Set);
    }

    /// <summary>The file the command reads (see <see cref="ConfigLoader.ResolveSource"/>).</summary>
    public string Source(ParseResult result) => ConfigLoader.ResolveSource(result.GetValue(File));

    /// <summary>Loads and validates; errors become a <c>UsageException</c> (exit code 2).</summary>
    public PipelineConfig Load(ParseResult result) =>
        ConfigLoader.LoadForCommand(result.GetValue(File), result.GetValue(Set) ?? []);
}
