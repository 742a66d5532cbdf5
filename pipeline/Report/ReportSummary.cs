using System.Text.Json.Nodes;
using KnPipeline.Runs;

namespace KnPipeline.Report;

/// <summary>
/// The report's summary.json: the keys of the run's own summary, through the same builder
/// (<see cref="Runs.RunSummary.Build"/>). Counts and statistics are recomputed from the chunk markers and tables;
/// what only the sessions that ran could measure (seconds, queries/s, device busy, GFLOP/s) and the run's shape
/// (planned chunks, completeness, shards) are copied from the run's summary.json, as is any key a later stage adds
/// that the report does not recompute.
/// </summary>
public static class ReportSummary
{
    private static readonly string[] Copied = ["queries_per_s", "device_busy", "gflops", "chunks", "complete", "shard",
        "shards"];

    public static JsonObject Build(ReportContext ctx)
    {
        var run = ctx.RunSummary;
        int languages = ctx.Tables.Has("queries")
            ? (int)ctx.Tables.Scalar("SELECT count(DISTINCT language) FROM queries")
            : run?["languages"]?.GetValue<int>() ?? 0;
        var o = RunSummary.Build(ctx.Totals, languages, ctx.Totals.Chunks, true, 0, 1, new RunSummary.Timings());
        if (run is null)
            return o;
        foreach (var (key, value) in run)
            if (IsMeasured(key) || !o.ContainsKey(key))
                o[key] = value?.DeepClone();
        return o;
    }

    /// <summary>Keys a report cannot recompute from the run folder's records.</summary>
    public static bool IsMeasured(string key) =>
        key.EndsWith("_s", StringComparison.Ordinal) || Copied.Contains(key);
}
