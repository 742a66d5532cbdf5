using System.Globalization;

namespace KnPipeline.Report.Sections;

/// <summary>
/// The run in words and counts: what was run on what (the manifest), how many facts and queries each language had
/// and how many reached each stage, what was quarantined and why, and where the time went.
/// </summary>
public sealed class RunSection : IReportSection
{
    public string Anchor => "run";
    public string Title => "Run";
    public IReadOnlyList<string> Tables => ["queries"];
    public IReadOnlyList<string> Figures => ["run_counts_per_language", "run_stage_seconds"];

    /// <summary>Phase and stage seconds in the order the run spends them.</summary>
    private static readonly (string Key, string Label)[] Stages =
    [
        ("model_s", "model (load or train)"), ("embedded_training_s", "of which training"), ("graph_s", "graph"),
        ("expand_s", "expansion (busy)"), ("tokenize_s", "tokenization (busy)"), ("device_s", "device stage"),
        ("write_s", "Parquet writing (busy)"), ("reduce_s", "reduce"),
    ];

    public void Write(ReportContext ctx, SectionWriter w)
    {
        Manifest(ctx, w);
        Counts(ctx, w);
        Quarantine(ctx, w);
        Time(ctx, w);
    }

    private static void Manifest(ReportContext ctx, SectionWriter w)
    {
        var m = ctx.Manifest;
        var t = ctx.Tables;
        string family = $"{m["model"]?["family"]} (`{m["model"]?["model_type"]}`)";
        string source = m["model"]?["repo_id"] is { } repo ? $"`{repo}` at `{m["model"]?["commit"]}`"
            : $"`{m["model"]?["path"]}`";
        string shape = "";
        if (t.Has("attributions") && t.Rows("SELECT max(ffn_width), max(list_max(layers)) + 1, " +
                                            "max(len(layers)) FROM attributions") is [[{ } ffn, { } layers, { } used]])
            shape = $" It has {layers} layers with an FFN width of {ffn}: {Convert.ToInt64(layers) *
                Convert.ToInt64(ffn):N0} neurons; {used} layers were attributed.";
        w.Text($"Model: {family} from {source}, weights sha256 `{Short(m["model"]?["weights_sha256"])}`, tokenizer " +
               $"{m["tokenizer"]?["kind"]} (sha256 `{Short(m["tokenizer"]?["sha256"])}`).{shape}");
        w.Text($"Data: `{m["data"]?["format"]}` from `{m["data"]?["dir"]}` (sha256 `{Short(m["data"]?["sha256"])}`). " +
               $"Config hash `{Short(m["config_hash"])}`, work hash `{Short(m["work_hash"])}`, git SHA " +
               $"`{Short(m["git_sha"])}`; config read from `{m["config_source"]}`. Attribution: rule " +
               $"{ctx.Config("attribution.rule")}, m = {ctx.Config("attribution.steps")} steps, objective " +
               $"{ctx.Config("attribution.objective")}, {ctx.MethodText()}, target " +
               $"{ctx.Config("attribution.target")}, queries localized: {ctx.Config("attribution.localize")}, " +
               $"KN threshold {ctx.Config("attribution.kn_threshold")} × max.");
        if (m["definitions"] is System.Text.Json.Nodes.JsonObject defs)
            w.Table(["definition", "as written in every output's metadata"],
                defs.Select(kv => new[] { kv.Key.Replace('_', ' '), kv.Value?.ToString() ?? "" }));
    }

    private static void Counts(ReportContext ctx, SectionWriter w)
    {
        var t = ctx.Tables;
        // Each stage's rows per language, from the tables themselves (not the markers' counters).
        var stages = new List<(string Table, string Label)> { ("queries", "queries") };
        foreach (var (table, label) in new[] { ("tokenized", "tokenized"), ("attributions", "attributed"),
                     ("kn_sets", "with a KN set") })
            if (t.Has(table))
                stages.Add((table, label));
        string sql = "WITH " + string.Join(", ", stages.Select(s =>
                         $"n_{s.Table} AS (SELECT language, count(*) AS n FROM {s.Table} GROUP BY language)")) +
                     ", facts AS (SELECT language, count(DISTINCT fact_id) AS n FROM queries GROUP BY language) " +
                     "SELECT facts.language, facts.n" +
                     string.Concat(stages.Select(s => $", coalesce(n_{s.Table}.n, 0)")) +
                     " FROM facts" + string.Concat(stages.Select(s => $" LEFT JOIN n_{s.Table} USING (language)")) +
                     " ORDER BY facts.language";
        var rows = t.Rows(sql);
        var data = new FigureData(["language", "facts", .. stages.Select(s => s.Label.Replace(' ', '_'))]);
        foreach (var r in rows)
            data.Add(r);
        w.Table(["language", "facts", .. stages.Select(s => s.Label)],
            rows.Select(r => new[] { LanguageNames.WithCode((string)r[0]!) }
                .Concat(r.Skip(1).Select(v => Convert.ToInt64(v).ToString("N0", CultureInfo.InvariantCulture)))
                .ToArray()));
        var langs = data.Strings("language");
        var series = stages.Select(s => s.Label).ToArray();
        var values = new double[langs.Length, series.Length];
        for (int s = 0; s < series.Length; s++)
        {
            var col = data.Numbers(stages[s].Label.Replace(' ', '_'));
            for (int l = 0; l < langs.Length; l++)
                values[l, s] = col[l];
        }
        w.Figure("run_counts_per_language", "Queries per language at each stage: expanded, tokenized, attributed " +
                 "(localized) and with a coarse KN set.", data, path => Plots.GroupedBars(path,
                 "Queries per language and stage", "language", "queries", langs.Select(LanguageNames.Of).ToArray(),
                 series, values));
    }

    private static void Quarantine(ReportContext ctx, SectionWriter w)
    {
        if (!ctx.Tables.Has("quarantine"))
        {
            w.Text("Quarantine: no input record was set aside.");
            return;
        }
        var rows = ctx.Tables.Rows("SELECT stage, reason, language, count(*) FROM quarantine GROUP BY ALL " +
                                   "ORDER BY stage, reason, language");
        w.Text("Quarantine: input records set aside, by stage, reason and language (the `quarantine` table has the " +
               "file, line and detail of each).");
        w.Table(["stage", "reason", "language", "records"], rows.Select(r => new[]
            { (string)r[0]!, $"`{r[1]}`", LanguageNames.WithCode((string)r[2]!), Convert.ToInt64(r[3]).ToString() }));
    }

    private static void Time(ReportContext ctx, SectionWriter w)
    {
        var s = ctx.RunSummary;
        if (s is null)
        {
            w.Text("Time: no summary.json (a sharded run before `pipeline merge`), so no timings.");
            return;
        }
        double V(string key) => s[key]?.GetValue<double>() ?? double.NaN;
        string gflops = s["gflops"] is null ? "not measured by this build" : $"{V("gflops"):F1} GFLOP/s";
        w.Text($"Wall time {V("wall_s"):F1} s. The device stage attributed {V("queries_per_s"):F1} queries/s and was " +
               $"busy {100 * V("device_busy"):F1}% of its wall time; achieved matmul throughput {gflops}. The CPU " +
               "stages' busy seconds overlap the device's, so the bars do not add up to the wall time." +
               (V("shards") > 1 ? $" A merged run of {V("shards")} shards: seconds are summed over shards " +
                                  "(machine time), the wall time is the longest shard's." : ""));
        var data = new FigureData("stage", "key", "seconds");
        // A cached model's training time is from the session that trained it, not part of this run's model_s.
        bool trainedHere = V("embedded_training_s") <= V("model_s");
        foreach (var (key, label) in Stages.Where(st => s[st.Key] is not null
                                                        && (st.Key != "embedded_training_s" || trainedHere)))
            data.Add(label, key, FigureData.Num(V(key)));
        w.Figure("run_stage_seconds", "Seconds per phase and stage, from the run's summary.json (timings are " +
                 "measured, so they differ between runs of the same config).", data, path => Plots.GroupedBars(path,
                 "Time per phase and stage", "phase or stage", "seconds", data.Strings("stage"), ["seconds"],
                 To2D(data.Numbers("seconds"))));
        w.Table(["figure", "value"], new[]
        {
            new[] { "wall time", $"{V("wall_s"):F1} s" }, ["queries/s (device stage)", $"{V("queries_per_s"):F2}"],
            ["device busy", $"{100 * V("device_busy"):F1}%"], ["achieved GFLOP/s", gflops],
        });
    }

    private static double[,] To2D(double[] v)
    {
        var m = new double[v.Length, 1];
        for (int i = 0; i < v.Length; i++)
            m[i, 0] = v[i];
        return m;
    }

    private static string Short(object? v) => v?.ToString() is { Length: > 12 } s ? s[..12] : v?.ToString() ?? "?";
}
