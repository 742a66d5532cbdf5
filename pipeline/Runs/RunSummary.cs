using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KnPipeline.Runs;

/// <summary>
/// summary.json: one flat object whose keys are a contract for scripts. <c>run</c>, <c>merge</c> and the report build
/// it here, so a merged summary has exactly the keys of a single run's. Counts and statistics come from the chunk
/// markers (<see cref="RunTotals"/>); timings (<c>*_s</c>), throughput and device-busy come from the sessions that
/// ran. A merge sums the shards' phase and stage seconds (machine time) and keeps the longest wall time.
/// </summary>
public static class RunSummary
{
    /// <summary>Timing keys every summary has, in print order; phases add theirs through
    /// <see cref="Timings"/>.</summary>
    public static readonly string[] TimingKeys =
        ["wall_s", "model_s", "graph_s", "reduce_s", "report_s", "expand_s", "tokenize_s", "device_s", "write_s",
            "analyze_s", "intervene_s", "edit_s"];

    /// <summary>The keys the end-of-run table shows, in order.</summary>
    private static readonly string[] Printed =
    [
        "facts", "queries", "queries_attributed", "languages", "quarantined", "queries_per_s", "device_busy", "gflops",
        "completeness_gap_median", "wall_s", "model_s", "graph_s", "reduce_s", "expand_s", "tokenize_s", "device_s",
        "write_s", "analyze_s", "intervene_s", "edit_dev_s", "edit_s", "weights_restored",
    ];

    /// <summary>What one session measured: seconds per phase and stage, and the device's throughput.</summary>
    public sealed class Timings
    {
        public SortedDictionary<string, double> Seconds { get; } = new(StringComparer.Ordinal);
        public double DeviceBusy { get; set; }
        public long QueriesAttributedThisSession { get; set; }
        public double? EmbeddedTrainingSeconds { get; set; }

        /// <summary>Matmul FLOPs the device stage ran in this session (the stage counts them per batch).</summary>
        public double Flops { get; set; }

        /// <summary>Achieved GFLOP/s over the device stage's wall time, as queries/s is.</summary>
        public double Gflops => Seconds.GetValueOrDefault("device_s") is > 0 and var d ? Flops / d / 1e9 : 0;

        public double QueriesPerSecond =>
            Seconds.GetValueOrDefault("device_s") is > 0 and var d ? QueriesAttributedThisSession / d : 0;
    }

    public static JsonObject Build(RunTotals totals, int languages, long plannedChunks, bool complete, int shardIndex,
        int shardCount, Timings timings)
    {
        var o = new JsonObject
        {
            ["facts"] = totals.Facts,
            ["queries"] = totals.Queries,
            ["languages"] = languages,
            ["quarantined"] = totals.Quarantined,
            ["queries_per_s"] = timings.QueriesPerSecond,
            ["device_busy"] = Math.Round(timings.DeviceBusy, 4),
            ["gflops"] = Math.Round(timings.Gflops, 3),
            ["completeness_gap_median"] = totals.GapMedian,
            ["queries_tokenized"] = totals.Tokenized,
            ["queries_attributed"] = totals.Attributed,
            ["chunks"] = plannedChunks,
            ["chunks_done"] = totals.Chunks,
            ["complete"] = complete,
            ["shard"] = shardCount == 1 ? "s0of1" : shardIndex < 0 ? "merged" : $"s{shardIndex}of{shardCount}",
            ["shards"] = shardCount,
        };
        foreach (var key in TimingKeys)
            o[key] = Math.Round(timings.Seconds.GetValueOrDefault(key), 3);
        foreach (var (key, s) in timings.Seconds.Where(kv => !TimingKeys.Contains(kv.Key)))
            o[key] = Math.Round(s, 3);
        if (timings.EmbeddedTrainingSeconds is { } t)
            o["embedded_training_s"] = Math.Round(t, 3);
        totals.AddCounters(o);
        return o;
    }

    /// <summary>
    /// The run's summary from its shards' summaries and every chunk marker: counts re-added from the markers;
    /// seconds summed over shards except the wall time (the longest shard); throughput over the summed device time
    /// times the shard count (shards run side by side); device-busy weighted by each shard's device seconds.
    /// </summary>
    public static JsonObject Merge(IReadOnlyList<JsonObject> shards, RunTotals totals)
    {
        double Sum(string k) => shards.Sum(s => s[k]?.GetValue<double>() ?? 0);
        var timings = new Timings();
        foreach (var key in shards.SelectMany(s => s.Select(kv => kv.Key)).Where(IsSeconds).Distinct())
            timings.Seconds[key] = key == "wall_s" ? shards.Max(s => s[key]?.GetValue<double>() ?? 0) : Sum(key);
        if (shards.Any(s => s["embedded_training_s"] is not null))
            timings.EmbeddedTrainingSeconds = Sum("embedded_training_s");
        double deviceS = Sum("device_s");
        timings.QueriesAttributedThisSession = (long)Math.Round(shards.Sum(s =>
            (s["queries_per_s"]?.GetValue<double>() ?? 0) * (s["device_s"]?.GetValue<double>() ?? 0)) * shards.Count);
        // FLOPs as the queries: the shards' rates over their summed device time, times the shards side by side.
        timings.Flops = shards.Sum(s =>
            (s["gflops"]?.GetValue<double>() ?? 0) * 1e9 * (s["device_s"]?.GetValue<double>() ?? 0)) * shards.Count;
        timings.DeviceBusy = deviceS > 0
            ? shards.Sum(s => (s["device_busy"]?.GetValue<double>() ?? 0) * (s["device_s"]?.GetValue<double>() ?? 0))
                / deviceS
            : 0;
        return Build(totals, shards.Max(s => s["languages"]?.GetValue<int>() ?? 0), (long)Sum("chunks"), true, -1,
            shards.Count, timings);
    }

    private static bool IsSeconds(string key) =>
        key.EndsWith("_s", StringComparison.Ordinal) && key != "embedded_training_s";

    public static void Write(string path, JsonObject summary) =>
        RunFolder.WriteAtomic(path, summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>The end-of-run table: figures rounded for people (summary.json keeps full precision).</summary>
    public static void Print(JsonObject s, TextWriter to)
    {
        to.WriteLine();
        to.WriteLine($"{"figure",-28} value");
        to.WriteLine($"{new string('-', 28)} {new string('-', 16)}");
        foreach (var key in Printed)
            if (s[key] is { } v)
                to.WriteLine($"{key,-28} {ForPeople(v)}");
    }

    private static string ForPeople(JsonNode v)
    {
        if (v.GetValueKind() != JsonValueKind.Number)
            return v.ToJsonString();
        // A node built from a long will not give a double, so go through its text.
        double d = double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture);
        if (d == Math.Floor(d) && Math.Abs(d) < 1e15)
            return d.ToString("N0", CultureInfo.InvariantCulture);
        // Four significant digits: enough to compare runs by eye, short enough to read.
        return Math.Abs(d) >= 1000 ? d.ToString("N1", CultureInfo.InvariantCulture)
            : d.ToString("G4", CultureInfo.InvariantCulture);
    }
}
