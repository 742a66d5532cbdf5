using KnPipeline.Report;
using KnPipeline.Runs;
using Microsoft.Extensions.Logging;

namespace KnPipeline.Hosting;

/// <summary>
/// The run's last phase: the report, built from the run folder exactly as <c>pipeline report</c> builds it. A report
/// that fails does not fail the run: the results are on disk, and <c>pipeline report</c> can be run again. Returns its
/// seconds, for <c>report_s</c> (0 when it failed).
/// </summary>
public static class ReportPhase
{
    public static double Run(RunFolder run, ILogger log)
    {
        try
        {
            var r = ReportBuilder.Build(run.Path);
            log.LogInformation("report written to {Path} ({Figures} figures, {Seconds:F1} s)",
                Path.Combine(r.Dir, "index.html"), r.Figures.Count, r.Seconds);
            return r.Seconds;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "the report failed; the run's results are complete: rerun `pipeline report {RunDir}`",
                run.Path);
            return 0;
        }
    }
}
