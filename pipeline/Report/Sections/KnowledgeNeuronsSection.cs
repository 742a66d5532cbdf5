using System.Globalization;

namespace KnPipeline.Report.Sections;

/// <summary>
/// The coarse knowledge neurons: where they sit (per layer and language), how many a query has, and, for a few
/// facts, whether the same neurons light up across the fact's rephrasings and languages (the question MATRICE and
/// query localization ask), as attribution heatmaps side by side.
/// </summary>
public sealed class KnowledgeNeuronsSection : IReportSection
{
    public string Anchor => "knowledge-neurons";
    public string Title => "Knowledge neurons";
    public IReadOnlyList<string> Tables => ["kn_sets"];
    public IReadOnlyList<string> Figures =>
        ["kn_per_layer", "kn_per_layer_by_method", "kn_set_sizes", "kn_heatmap_<relation>"];

    /// <summary>Facts shown as heatmaps (one per relation, in relation order) and neurons (columns) in each.</summary>
    public const int HeatmapFacts = 8, HeatmapNeurons = 16;

    public void Write(ReportContext ctx, SectionWriter w)
    {
        w.Text($"A query's coarse knowledge neurons are the (layer, unit) pairs whose attribution exceeds " +
               $"{ctx.Config("attribution.kn_threshold")} × the query's maximum over all layers and units " +
               $"({ctx.Definition("coarse_kn") ?? "docs/architecture.md, Definitions"}). The figures below are " +
               $"over the {ctx.MethodText()}, except the one per method.");
        PerLayer(ctx, w);
        PerLayerByMethod(ctx, w);
        Sizes(ctx, w);
        if (ctx.Tables.Has("attributions"))
            Heatmaps(ctx, w);
        else
            w.Text("No heatmaps: the run has no `attributions` table.");
    }

    private static void PerLayer(ReportContext ctx, SectionWriter w)
    {
        var rows = ctx.Tables.Rows("""
            SELECT language, layer, count(*) FROM (SELECT language, unnest(layer) AS layer FROM kn_sets)
            GROUP BY ALL ORDER BY ALL
            """);
        var langs = rows.Select(r => (string)r[0]!).Distinct().ToArray();
        if (langs.Length == 0)
        {
            w.Text("No coarse knowledge neurons: every KN set is empty.");
            return;
        }
        int layers = rows.Max(r => Convert.ToInt32(r[1])) + 1;
        var found = rows.ToDictionary(r => ((string)r[0]!, Convert.ToInt32(r[1])), r => Convert.ToInt64(r[2]));
        var data = new FigureData("layer", "language", "coarse_kns");
        var values = new double[layers, langs.Length];
        for (int l = 0; l < layers; l++)
            for (int s = 0; s < langs.Length; s++)
            {
                long n = found.GetValueOrDefault((langs[s], l));
                data.Add(l, langs[s], n);
                values[l, s] = n;
            }
        long total = found.Values.Sum();
        string shares = string.Join(", ", Enumerable.Range(0, layers).Select(l =>
            $"layer {l} {100.0 * found.Where(kv => kv.Key.Item2 == l).Sum(kv => kv.Value) / total:F1}%"));
        w.Figure("kn_per_layer", "Coarse knowledge neurons per layer and language, summed over the language's " +
                 "localized queries (a neuron counts once per query that selects it), under the " +
                 $"{ctx.MethodText()}; all languages: {shares}.", data, path =>
            Plots.GroupedBars(path, "Coarse knowledge neurons per layer", "layer", "coarse KNs (summed over queries)",
                Enumerable.Range(0, layers).Select(l => $"layer {l}").ToArray(),
                langs.Select(LanguageNames.Of).ToArray(), values,
                width: Math.Min(1600, 500 + 60 * layers * langs.Length / 4)));
    }

    /// <summary>The same counts summed over languages, one bar per method, when the run has more than one.</summary>
    private static void PerLayerByMethod(ReportContext ctx, SectionWriter w)
    {
        if (!ctx.Tables.IsPerMethod("kn_sets"))
            return;
        var rows = ctx.Tables.Rows("""
            SELECT method, layer, count(*) FROM (SELECT method, unnest(layer) AS layer FROM kn_sets_by_method)
            GROUP BY ALL ORDER BY ALL
            """);
        // The config's order, so the first (main) method is the first bar.
        var methods = (ctx.Config("attribution.methods")?.AsArray() ?? [])
            .Select(m => m!.ToString()).Where(m => rows.Any(r => (string)r[0]! == m)).ToArray();
        if (methods.Length < 2)
            return;
        int layers = rows.Max(r => Convert.ToInt32(r[1])) + 1;
        var found = rows.ToDictionary(r => ((string)r[0]!, Convert.ToInt32(r[1])), r => Convert.ToInt64(r[2]));
        var data = new FigureData("layer", "method", "coarse_kns");
        var values = new double[layers, methods.Length];
        for (int l = 0; l < layers; l++)
            for (int m = 0; m < methods.Length; m++)
            {
                long n = found.GetValueOrDefault((methods[m], l));
                data.Add(l, methods[m], n);
                values[l, m] = n;
            }
        string shares = string.Join("; ", methods.Select(m =>
        {
            long total = found.Where(kv => kv.Key.Item1 == m).Sum(kv => kv.Value);
            return $"{m}: " + string.Join(", ", Enumerable.Range(0, layers).Select(l =>
                $"layer {l} {100.0 * found.GetValueOrDefault((m, l)) / Math.Max(1, total):F1}%"));
        }));
        w.Figure("kn_per_layer_by_method", "Coarse knowledge neurons per layer under each method, summed over every " +
                 $"language's localized queries (the same queries for every method); {shares}.", data, path =>
            Plots.GroupedBars(path, "Coarse knowledge neurons per layer and method", "layer",
                "coarse KNs (summed over queries)", Enumerable.Range(0, layers).Select(l => $"layer {l}").ToArray(),
                methods, values));
    }

    private static void Sizes(ReportContext ctx, SectionWriter w)
    {
        var rows = ctx.Tables.Rows("SELECT len(layer) AS size, count(*) FROM kn_sets GROUP BY size ORDER BY size");
        if (rows.Count == 0)
            return;
        int max = rows.Max(r => Convert.ToInt32(r[0]));
        // Sizes one by one up to 30; wider equal bins beyond, so the axis stays readable.
        int width = Math.Max(1, (max + 30) / 30);
        var counts = new long[max / width + 1];
        foreach (var r in rows)
            counts[Convert.ToInt32(r[0]) / width] += Convert.ToInt64(r[1]);
        var data = new FigureData("size_low", "size_high", "queries");
        for (int b = 0; b < counts.Length; b++)
            data.Add(b * width, b * width + width - 1, counts[b]);
        var labels = Enumerable.Range(0, counts.Length)
            .Select(b => width == 1 ? $"{b}" : $"{b * width}–{b * width + width - 1}").ToArray();
        var values = new double[counts.Length, 1];
        for (int b = 0; b < counts.Length; b++)
            values[b, 0] = counts[b];
        var total = ctx.Tables.Rows("SELECT count(*), median(len(layer)), avg(len(layer)) FROM kn_sets")[0];
        w.Figure("kn_set_sizes", $"Coarse KN set sizes: queries per number of KNs ({total[0]} localized queries; " +
                 $"median {Convert.ToDouble(total[1]).ToString("G4", CultureInfo.InvariantCulture)}, mean " +
                 $"{Convert.ToDouble(total[2]).ToString("F2", CultureInfo.InvariantCulture)}).", data, path =>
            Plots.GroupedBars(path, "Coarse KN set sizes", "KNs in the query's set", "queries", labels, ["queries"],
                values));
    }

    /// <summary>
    /// One heatmap per chosen fact: its attributed queries (rows, by language then template) against the neurons with
    /// the largest attribution summed over those queries (columns), each query's scores divided by its own maximum.
    /// </summary>
    private static void Heatmaps(ReportContext ctx, SectionWriter w)
    {
        // The choice rule, in SQL: per relation, the fact with the most correctly answered (top-1) attributed
        // queries, then the most attributed queries (under `localize: all` a small model may answer none), then the
        // smaller fact id.
        var chosen = ctx.Tables.Rows($"""
            SELECT relation, fact_id, n FROM (
                SELECT relation, fact_id, count(*) FILTER (WHERE target_rank = 0) AS n,
                       row_number() OVER (PARTITION BY relation ORDER BY n DESC, count(*) DESC, fact_id) AS k
                FROM attributions WHERE NOT non_finite GROUP BY relation, fact_id)
            WHERE k = 1 ORDER BY relation LIMIT {HeatmapFacts}
            """);
        if (chosen.Count == 0)
        {
            w.Text("No heatmaps: every attributed query has a non-finite result.");
            return;
        }
        w.Text($"Heatmaps: for each relation (at most {HeatmapFacts}, in relation order), the fact with the most " +
               "correctly answered attributed queries (ties: the most attributed queries, then the smaller fact id), " +
               "all its attributed queries side by " +
               $"side across templates and languages, against the {HeatmapNeurons} neurons with the largest " +
               "attribution summed over those queries; each query's row is divided by its own maximum attribution.");
        // One scan for all chosen facts: the full vectors are most of the table's bytes.
        var facts = chosen.Select(c => (string)c[1]!).ToArray();
        var all = ctx.Tables.Rows($"""
            SELECT fact_id, language, template_id, layers, ffn_width, attributions, top_layer, top_unit, top_score
            FROM attributions WHERE fact_id IN ({string.Join(", ", facts.Select(_ => "?"))}) AND NOT non_finite
            ORDER BY fact_id, language, template_id
            """, facts);
        foreach (var c in chosen)
            Heatmap(ctx, w, (string)c[0]!, (string)c[1]!, Convert.ToInt64(c[2]),
                all.Where(r => (string)r[0]! == (string)c[1]!).Select(r => r[1..]).ToList());
    }

    private static void Heatmap(ReportContext ctx, SectionWriter w, string relation, string fact, long correct,
        List<object?[]> rows)
    {
        // Each query's scores as (layer, unit) → score: from the full vector when kept, else the stored top-k.
        var scores = rows.Select(r =>
        {
            var map = new Dictionary<(int, int), double>();
            var layers = Ints(r[2]);
            int width = Convert.ToInt32(r[3]);
            var full = Floats(r[4]);
            if (full.Length == layers.Length * width)
                for (int i = 0; i < full.Length; i++)
                    map[(layers[i / width], i % width)] = full[i];
            else
            {
                var tl = Ints(r[5]);
                var tu = Ints(r[6]);
                var ts = Floats(r[7]);
                for (int i = 0; i < ts.Length; i++)
                    map[(tl[i], tu[i])] = ts[i];
            }
            double max = map.Count > 0 ? map.Values.Max() : 0;
            return map.ToDictionary(kv => kv.Key, kv => max > 0 ? kv.Value / max : 0);
        }).ToList();
        var neurons = scores.SelectMany(s => s).GroupBy(kv => kv.Key).Select(g => (g.Key, Sum: g.Sum(kv => kv.Value)))
            .OrderByDescending(x => x.Sum).ThenBy(x => x.Key).Take(HeatmapNeurons).Select(x => x.Key).ToArray();
        var objects = ctx.Tables.Rows("SELECT language, any_value(object) FROM queries WHERE fact_id = ? " +
                                      "GROUP BY ALL " +
                                      "ORDER BY language", fact).ToDictionary(r => (string)r[0]!, r => (string)r[1]!);
        string obj = objects.GetValueOrDefault("en") ?? objects.Values.FirstOrDefault() ?? "?";
        var data = new FigureData("language", "template_id", "layer", "unit", "relative_attribution");
        var m = new double[rows.Count, neurons.Length];
        for (int q = 0; q < rows.Count; q++)
            for (int n = 0; n < neurons.Length; n++)
            {
                double v = FigureData.Num(scores[q].GetValueOrDefault(neurons[n]));
                data.Add(rows[q][0], rows[q][1], neurons[n].Item1, neurons[n].Item2, v);
                m[q, n] = v;
            }
        var rowLabels = rows.Select(r => $"{LanguageNames.Of((string)r[0]!)} · {r[1]}").ToArray();
        var colLabels = neurons.Select(n => $"L{n.Item1} u{n.Item2}").ToArray();
        string name = "kn_heatmap_" + string.Concat(relation.Select(ch => char.IsLetterOrDigit(ch) ? ch : '_'));
        int height = Math.Clamp(160 + 18 * rows.Count, 300, 1600);
        w.Figure(name, $"Relation {relation}, fact `{fact}` (object “{obj}”): {rows.Count} attributed queries, " +
                 $"{correct} answered correctly. Each row is one query (language · template), each column a neuron " +
                 "(layer, unit); the colour is the query's attribution divided by its maximum.", data, path =>
            Plots.Heatmap(path, $"{relation}: {fact} → {obj}", "neuron (layer, unit)", "query (language · template)",
                rowLabels, colLabels, m, "attribution / query max", 1000, height));
    }

    private static int[] Ints(object? v) => v is System.Collections.IEnumerable e
        ? e.Cast<object>().Select(Convert.ToInt32).ToArray() : [];

    private static double[] Floats(object? v) => v is System.Collections.IEnumerable e
        ? e.Cast<object?>().Select(x => x is null ? double.NaN : Convert.ToDouble(x)).ToArray() : [];
}
