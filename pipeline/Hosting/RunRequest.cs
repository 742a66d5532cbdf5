using KnPipeline.Runs;
using KnPipeline.Stages.Options;

namespace KnPipeline.Hosting;

/// <summary>
/// What <c>pipeline run</c> was asked to do: the validated config, where and which share to run, and whether to end
/// with the report (<c>--no-report</c> skips it).
/// </summary>
public sealed record RunRequest(PipelineConfig Config, string ConfigSource, string? RunDir, bool Resume,
    ShardSpec Shard, bool Report = true);

/// <summary>The outcome the hosted service hands back to the CLI (the host itself always exits 0 on .NET 10).</summary>
public sealed class RunOutcome
{
    public int ExitCode { get; set; } = 1;
    public string? RunDir { get; set; }
}
