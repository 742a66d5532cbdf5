using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KnPipeline.Hosting;

/// <summary>
/// The hosted service of <c>pipeline run</c>: runs one <see cref="PipelineRun"/> to completion and stops the host.
/// On .NET 10 a fault in <c>ExecuteAsync</c> would still exit 0 (runtime #67146), so the outcome is handed back
/// explicitly and every failure is logged here.
/// </summary>
public sealed class PipelineService(PipelineRun run, RunOutcome outcome, IHostApplicationLifetime lifetime,
    ILogger<PipelineService> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var (code, dir) = await run.ExecuteAsync(stoppingToken);
            outcome.ExitCode = code;
            outcome.RunDir = dir;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            log.LogWarning("stopped before the graph started; nothing was lost, rerun to continue");
            outcome.ExitCode = ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            outcome.ExitCode = ExitCodes.For(e);
            if (outcome.ExitCode == ExitCodes.Usage)
                log.LogError("{Message}", e.Message);
            else
                log.LogError(e, "the run failed: {Message}", e.Message);
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}
