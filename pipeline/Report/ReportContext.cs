using System.Text.Json.Nodes;
using KnPipeline.Runs;

namespace KnPipeline.Report;

/// <summary>
/// What every section reads: the run folder's manifest, its summary (for timings and throughput only: those cannot
/// be recomputed), the chunk markers folded into <see cref="RunTotals"/>, and the Parquet tables through DuckDB.
/// Nothing here loads a model, so a report rebuilds in seconds on any machine that has the run folder.
/// </summary>
public sealed class ReportContext : IDisposable
{
    public ReportContext(RunFolder run, string outDir, IEnumerable<string> tables)
    {
        Run = run;
        OutDir = outDir;
        Manifest = File.Exists(run.ManifestPath)
            ? JsonNode.Parse(File.ReadAllText(run.ManifestPath))!.AsObject()
            : throw new UsageException($"{run.Path} holds no run (no manifest.json)");
        string summary = Path.Combine(run.Path, "summary.json");
        RunSummary = File.Exists(summary) ? JsonNode.Parse(File.ReadAllText(summary))!.AsObject() : null;
        Totals = RunTotals.FromFolder(run);
        Markers = ChunkMarker.ReadAll(run)
            .Select(m => m with { GapSketch = null, Gaps = null, OtherGapSketches = null }).ToList();
        Tables = new RunTables(run, tables, Config("attribution.methods")?.AsArray().FirstOrDefault()?.ToString());
    }

    public RunFolder Run { get; }
    public string OutDir { get; }
    public JsonObject Manifest { get; }

    /// <summary>The run's own summary.json (a single run, or a merged sharded one); null before a merge.</summary>
    public JsonObject? RunSummary { get; }

    public RunTotals Totals { get; }

    /// <summary>Every done marker without its gap sketch (the sections need only the counters).</summary>
    public IReadOnlyList<ChunkMarker> Markers { get; }

    public RunTables Tables { get; }

    /// <summary>A value of the run's config by dotted path (<c>attribution.steps</c>), or null.</summary>
    public JsonNode? Config(string path)
    {
        JsonNode? node = Manifest["config"];
        foreach (var key in path.Split('.'))
            node = node?[key];
        return node;
    }

    public string? Definition(string key) => Manifest["definitions"]?[key]?.ToString();

    /// <summary>
    /// How a figure over <c>attributions</c> or <c>kn_sets</c> names what it shows: the first method when the run
    /// has several (the tables' views keep its rows), else the one baseline of a run older than methods.
    /// </summary>
    public string MethodText()
    {
        if (Config("attribution.methods") is JsonArray { Count: > 0 } methods)
            return methods.Count == 1
                ? $"method `{methods[0]}`"
                : $"method `{methods[0]}`, the first of the run's methods ({string.Join(", ", methods)}; the " +
                  "others are in the tables' `method` column)";
        return $"baseline `{Config("attribution.baseline")}`";
    }

    public void Dispose() => Tables.Dispose();
}
