using System.Diagnostics;
using System.Text.Json.Nodes;
using KnPipeline.Runs;

namespace KnPipeline.Hosting;

/// <summary>
/// A statistic over every fact of a run (an Otsu threshold, a bootstrap interval, an overlap matrix): it needs the
/// whole run, so it cannot run per chunk in the graph. It reads the run folder's tables, writes what it computes into
/// the run folder, and adds its keys to the summary.
/// </summary>
public interface IRunReducer
{
    string Name { get; }

    void Reduce(RunFolder run, JsonObject summary, CancellationToken ct);
}

/// <summary>
/// The reduce phase, after the graph: every reducer over the whole run folder. A single run calls it once its chunks
/// are all done; a sharded run's shards skip it (each holds a part of the facts) and <c>pipeline merge</c> calls it
/// over all of them, so a merged run reduces exactly what a single run does. It writes <c>reduce_s</c>.
/// </summary>
public static class ReducePhase
{
    /// <summary>The reducers, in order; each analysis adds its own here.</summary>
    public static IReadOnlyList<IRunReducer> All { get; } = [new MatriceReducer(), new QueryLocalizationReducer(), new EditingReducer()];

    public static void Run(RunFolder run, JsonObject summary, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        foreach (var reducer in All)
        {
            ct.ThrowIfCancellationRequested();
            reducer.Reduce(run, summary, ct);
        }
        summary["reduce_s"] = Math.Round(clock.Elapsed.TotalSeconds, 3);
    }
}
