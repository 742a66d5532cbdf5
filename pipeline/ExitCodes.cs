using KnPipeline.Stages.Data;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Hub;

namespace KnPipeline;

/// <summary>
/// The exit codes every command shares, and the one place that decides which exception means which code: the CLI
/// (<c>Cli/CliApp</c>) and the hosted run (<c>Hosting/PipelineService</c>) both ask <see cref="For"/>.
/// </summary>
public static class ExitCodes
{
    public const int Ok = 0, Failure = 1, Usage = 2, Interrupted = 130;

    /// <summary>
    /// Usage (2) for what the user named wrongly (a config, a model or file that does not load, bad data layout);
    /// Interrupted (130) for a cancellation; Failure (1) for everything else, which is a bug or an environment fault
    /// and is logged with its stack.
    /// </summary>
    public static int For(Exception e) => e switch
    {
        UsageException or ModelLoadException or HubException or BenchmarkLayoutException
            or FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException
            => Usage,
        OperationCanceledException => Interrupted,
        _ => Failure,
    };
}
