using System.Globalization;
using KnPipeline.Hosting;
using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Records;
using static KnPipeline.Stages.Localization.QueryLocalizationStatistics;

namespace KnPipeline.Report.Sections;

/// <summary>
/// Query localization (issue #16, the QL paper's question): does a fact's knowledge sit in one set of neurons across
/// its rephrasings (KL), or does the set follow the query (QL)? The consistency of each (fact, language) cell's
/// coarse sets, its class under a static and Otsu's threshold, the null from other facts, the interventions by
/// class, the knowledge synapses and the planted truth. The numbers are the reduce phase's
/// (<see cref="QueryLocalizationReducer.Compute"/>, recomputed here so a report never disagrees with them).
/// </summary>
public sealed class QueryLocalizationSection : IReportSection
{
    public string Anchor => "query-localization";
    public string Title => "Query localization";
    public IReadOnlyList<string> Tables => ["consistency"];

    public IReadOnlyList<string> Figures =>
    [
        "ql_cs2_hist_<method>", "ql_cs2_by_relation", "ql_kl_vs_ql_static", "ql_kl_vs_ql_otsu", "ql_mapping_static",
        "ql_mapping_otsu", "ql_synapses", "ql_synapse_attention_before", "ql_synapse_attention_after",
        "ql_synapse_kn_activation", "ql_kn_consistent", "ql_kn_inconsistent",
    ];

    public void Write(ReportContext ctx, SectionWriter w)
    {
        var r = QueryLocalizationReducer.Compute(ctx.Run);
        var main = r.PerMethod.FirstOrDefault(m => m.Method == r.SummaryMethod);
        if (main is null)
        {
            w.Text("No data: the `consistency` table has no rows.");
            return;
        }
        Choices(w, r);
        Table1(w, r);
        Groups(w, r);
        Welch(w, r);
        foreach (var m in r.PerMethod)
            Histogram(w, r, m);
        ByRelation(w, r, main);
        Null(w, r);
        foreach (var threshold in new[] { Static, OtsuName })
            KlVsQl(w, r, main, threshold);
        foreach (var threshold in new[] { Static, OtsuName })
            Mapping(w, r, main, threshold);
        Synapses(w, r);
        if (ctx.Tables.Has("synapse_heatmaps"))
            SynapseHeatmaps(ctx, w);
        if (ctx.Tables.Has("kn_sets"))
            Figure1(ctx, w, main);
        Planted(w, r);
        Reading(w, r, main);
    }

    private static string F(double? v) =>
        v is { } x && double.IsFinite(x) ? x.ToString("G3", CultureInfo.InvariantCulture) : "–";

    private static string TauText(double? t) => t is { } x ? x.ToString("G3", CultureInfo.InvariantCulture) : "none";

    private static void Choices(SectionWriter w, QueryLocalizationReduction r)
    {
        string otsu = string.Join(", ", r.PerMethod.Select(m => $"{m.Method} {TauText(m.OtsuTau)}"));
        w.Text("Our documented choices (docs/architecture.md, Query localization; the QL paper's formulas are not " +
               "public, so these are ours): a (fact, language) cell is classified on its first n = " +
               $"{r.Queries} correct training-template queries in template order (fewer: counted, not classified); " +
               "CS₁ is the mean pairwise Jaccard of their coarse KN sets, CS₂ = |∩| / |∪| (two empty sets have " +
               $"Jaccard 0). A cell is inconsistent (K_II) when CS₂ < τ, else consistent (K_I); the static τ = " +
               $"{r.Tau.ToString(CultureInfo.InvariantCulture)}, Otsu's τ is computed per method on the histogram " +
               $"of its classified cells' CS₂ in {r.OtsuBins} equal bins over [0, 1] (bin centres as values; the " +
               $"middle of a flat maximum): {otsu}. Δprob is the mean over queries of (p_after − p_before) / " +
               "p_before. 95% intervals are percentile bootstraps over facts (facts resampled with replacement, " +
               $"{r.Resamples} resamples, run seed {r.Seed}, one generator per statistic seeded by its name). The " +
               "names spell the classes out because the paper's two versions use K_I for opposite classes.");
        w.Text($"Figures are over method `{r.SummaryMethod}` (the summary's) unless they say otherwise; every " +
               "method's numbers are in `reduce/query_localization.json`.");
    }

    private static string RatioText(Ratio x) =>
        x.Value is null ? "–" : $"{F(x.Value)} ({x.Inconsistent}/{x.Cells})";

    private static void Table1(SectionWriter w, QueryLocalizationReduction r)
    {
        w.Text("The analogue of QL's Table 1: the share of classified (fact, language) cells that are inconsistent " +
               "(K_II), per method and threshold; ∩ counts the cells that are inconsistent (K_II) under every " +
               $"method the run computed ({string.Join(", ", r.Methods)}), over the cells classified under all.");
        w.Table(["threshold", .. r.PerMethod.Select(m => m.Method), "∩ (every method)"],
        [
            [$"static τ = {r.Tau.ToString(CultureInfo.InvariantCulture)}",
                .. r.PerMethod.Select(m => RatioText(m.KiiStatic)), RatioText(r.JointStatic)],
            ["Otsu (each method's τ)", .. r.PerMethod.Select(m => $"{RatioText(m.KiiOtsu)}, τ {TauText(m.OtsuTau)}"),
                RatioText(r.JointOtsu)],
        ]);
        // The variant over every correct training query: CS₂ falls mechanically with the number of queries, which
        // is why the classes use a fixed n; the two means side by side show by how much.
        w.Text("Mean consistency of the classified cells, at the fixed n and (the variant) over every correct " +
               "training query of the cell: " + string.Join("; ", r.PerMethod.Select(m =>
                   $"`{m.Method}` CS₁ {F(m.Cs1Mean)}, CS₂ {F(m.Cs2Mean)} at n, CS₂ {F(m.Cs2AllMean)} over all")) + ".");
    }

    private static void Groups(SectionWriter w, QueryLocalizationReduction r)
    {
        foreach (var (name, of, joint) in new[]
                 {
                     ("relation", (Func<MethodResult, IReadOnlyList<GroupRatio>>)(m => m.ByRelation),
                         r.JointByRelation),
                     ("language", m => m.ByLanguage, r.JointByLanguage),
                 })
        {
            var groups = r.PerMethod.SelectMany(of).Select(g => g.Group).Concat(joint.Select(g => g.Group))
                .Distinct().Order(StringComparer.Ordinal).ToList();
            w.Text($"Inconsistent (K_II) share per {name} (static / Otsu).");
            w.Table([name, .. r.PerMethod.Select(m => m.Method), "∩"], groups.Select(g => (string[])
            [
                name == "language" ? LanguageNames.Of(g) : g,
                .. r.PerMethod.Select(m => of(m).FirstOrDefault(x => x.Group == g) is { } x
                    ? $"{RatioText(x.Static)} / {F(x.Otsu.Value)}" : "–"),
                joint.FirstOrDefault(x => x.Group == g) is { } j ? $"{RatioText(j.Static)} / {F(j.Otsu.Value)}" : "–",
            ]));
        }
    }

    private static void Welch(SectionWriter w, QueryLocalizationReduction r)
    {
        w.Text("Welch's t-test of CS₂ between consistent (K_I) and inconsistent (K_II) cells: a sanity check only, " +
               "since a split on CS₂ separates CS₂ by construction.");
        w.Table(["method", "threshold", "consistent (K_I) cells, mean CS₂", "inconsistent (K_II) cells, mean CS₂",
                "t", "df", "p"],
            r.PerMethod.SelectMany(m => new[] { (Static, m.WelchStatic), (OtsuName, m.WelchOtsu) }.Select(x =>
                (string[])[m.Method, x.Item1, $"{x.Item2.N1}, {F(x.Item2.Mean1)}", $"{x.Item2.N2}, {F(x.Item2.Mean2)}",
                    F(x.Item2.T), F(x.Item2.Df), F(x.Item2.P)])));
    }

    private static void Histogram(SectionWriter w, QueryLocalizationReduction r, MethodResult m)
    {
        int bins = r.OtsuBins;
        if (m.Classified == 0)
        {
            w.Text($"Method `{m.Method}` classified no cell (none had {r.Queries} correct training queries).");
            return;
        }
        var cells = Stages.Localization.QueryLocalizationStatistics.Histogram(m.ClassifiedCells.Select(c => c.Cs2),
            bins);
        var same = Stages.Localization.QueryLocalizationStatistics.Histogram(
            m.NullCells.Where(n => n.Same is not null).Select(n => n.Same!.Cs2), bins);
        var other = Stages.Localization.QueryLocalizationStatistics.Histogram(
            m.NullCells.Where(n => n.Other is not null).Select(n => n.Other!.Cs2), bins);
        var data = new FigureData("bin_low", "bin_high", "cells", "null_same_object", "null_other_object");
        var counts = new double[bins, 3];
        for (int b = 0; b < bins; b++)
        {
            data.Add((double)b / bins, (double)(b + 1) / bins, cells[b], same[b], other[b]);
            (counts[b, 0], counts[b, 1], counts[b, 2]) = (cells[b], same[b], other[b]);
        }
        var lines = Thresholds(r, m);
        w.Figure($"ql_cs2_hist_{m.Method}", $"Method `{m.Method}`: CS₂ of the {m.Classified} classified cells " +
                 $"(of {m.Cells}) in {bins} bins, with the null beside them: other facts' queries in the cell's " +
                 $"templates with the same answer token ({m.Null.SameObject.Cells} cells got one, mean k " +
                 $"{F(m.Null.SameObject.MeanK)}) and with another ({m.Null.OtherObject.Cells} cells, mean k " +
                 $"{F(m.Null.OtherObject.MeanK)}); left of a line is inconsistent (K_II).", data, path =>
            QueryLocalizationPlots.Histogram(path, $"CS₂ per cell ({m.Method})", "CS₂",
                [$"cells (n = {r.Queries})", "null: same object", "null: other object"], counts, lines));
    }

    private static List<(double, string)> Thresholds(QueryLocalizationReduction r, MethodResult m) =>
        m.OtsuTau is { } o
            ? [(r.Tau, $"static τ = {r.Tau.ToString(CultureInfo.InvariantCulture)}"), (o, $"Otsu's τ = {TauText(o)}")]
            : [(r.Tau, $"static τ = {r.Tau.ToString(CultureInfo.InvariantCulture)}")];

    private static void ByRelation(SectionWriter w, QueryLocalizationReduction r, MethodResult m)
    {
        var relations = m.ClassifiedCells.Select(c => c.Relation).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (relations.Length == 0)
            return;
        var data = new FigureData("relation", "series", "fact_id", "language", "x", "cs2");
        var points = new List<(string, double[], double[])>();
        foreach (var (series, offset, values) in new (string, double, Func<NullCell, double?>)[]
                 {
                     ("cell", -0.2, n => n.Cs2), ("null: same object", 0.1, n => n.Same?.Cs2),
                     ("null: other object", 0.3, n => n.Other?.Cs2),
                 })
        {
            var xs = new List<double>();
            var ys = new List<double>();
            int j = 0;
            foreach (var n in m.NullCells.OrderBy(n => n.Relation, StringComparer.Ordinal)
                         .ThenBy(n => n.FactId, StringComparer.Ordinal).ThenBy(n => n.Language, StringComparer.Ordinal))
            {
                if (values(n) is not { } v || !double.IsFinite(v))
                    continue;
                // A fixed jitter pattern: points of equal CS₂ stay visible, and the figure is the same every time.
                double x = FigureData.Num(Array.IndexOf(relations, n.Relation) + offset + (j++ * 37 % 11 - 5) / 60.0);
                double y = FigureData.Num(v);
                data.Add(n.Relation, series, n.FactId, n.Language, x, y);
                xs.Add(x);
                ys.Add(y);
            }
            points.Add((series, xs.ToArray(), ys.ToArray()));
        }
        var lines = Thresholds(r, m);
        w.Figure("ql_cs2_by_relation", $"Method `{m.Method}`: CS₂ of every classified cell per relation, with its " +
                 "same-object and other-object null draws beside it; below a line is inconsistent (K_II). Per " +
                 "relation (cells, mean CS₂): " + string.Join(", ", relations.Select(rel =>
                 {
                     var c = m.ClassifiedCells.Where(x => x.Relation == rel).ToList();
                     return $"{rel} {c.Count}, {F(c.Average(x => x.Cs2))}";
                 })) + ".", data, path =>
            QueryLocalizationPlots.Strip(path, $"CS₂ per relation ({m.Method})", "relation", "CS₂", relations, points,
                lines));
    }

    private static void Null(SectionWriter w, QueryLocalizationReduction r)
    {
        w.Text("The null consistency: for each classified cell, one query per template from distinct other facts " +
               "of the same relation and language, with the same answer (the gold object's first token, which is " +
               "what an answer-token neuron encodes) or another; facts are drawn in a seeded order (run seed, cell) " +
               $"and a draw stops at the first template it cannot fill, so k ≤ n = {r.Queries} (below 2: no null). " +
               "CS₂ falls as k grows, so the cells' own CS₂ over their first k queries is given beside it, and both " +
               "again at k = 2 (the Jaccard of the first two), which every draw reaches: the like-for-like " +
               "comparison of the two sides. The summary's `cs2_null_*_mean` keys are the null CS₂ at each draw's k.");
        w.Table(["method", "side", "cells with a draw (k = n)", "mean k", "null CS₂", "null CS₁",
                "the cells' own CS₂ at k", "null at k = 2", "own at k = 2", "relations without a same-object pair"],
            r.PerMethod.SelectMany(m => new[] { ("same object", m.Null.SameObject), ("other object",
                m.Null.OtherObject) }.Select(x => (string[])
            [
                m.Method, x.Item1, $"{x.Item2.Cells} of {m.Null.Cells} ({x.Item2.FullCells})", F(x.Item2.MeanK),
                F(x.Item2.Cs2), F(x.Item2.Cs1), F(x.Item2.OwnCs2), F(x.Item2.PairCs2), F(x.Item2.OwnPairCs2),
                $"{m.Null.RelationsWithoutSameObjectPair.Count} of {m.Null.Relations}" +
                (m.Null.RelationsWithoutSameObjectPair.Count > 0
                    ? $" ({string.Join(", ", m.Null.RelationsWithoutSameObjectPair)})" : ""),
            ])));
    }

    private static string ThresholdText(QueryLocalizationReduction r, MethodResult m, string threshold) =>
        threshold == Static ? $"static τ = {r.Tau.ToString(CultureInfo.InvariantCulture)}"
            : $"Otsu's τ = {TauText(m.OtsuTau)}";

    private static void KlVsQl(SectionWriter w, QueryLocalizationReduction r, MethodResult m, string threshold)
    {
        var arms = new[] { ("kl_shared", "KL: the cell's refined set"), ("ql_own", "QL: own top KNs, same size") };
        var cats = (from split in new[] { TemplateSplits.Train, TemplateSplits.Heldout }
            from cls in Classes
            select (split, cls)).ToArray();
        var data = new FigureData("split", "class", "arm", "dprob_mean", "ci_low", "ci_high", "queries", "facts",
            "mean_set_size");
        var (v, lo, hi) = (new double[cats.Length, 2], new double[cats.Length, 2], new double[cats.Length, 2]);
        for (int c = 0; c < cats.Length; c++)
            for (int a = 0; a < arms.Length; a++)
            {
                var e = m.Arm("kl_vs_ql", arms[a].Item1, cats[c].split, false, 0, threshold, cats[c].cls)?.Dprob
                    ?? Estimate.Empty;
                data.Add(cats[c].split, cats[c].cls, arms[a].Item1, e.Mean, e.Low, e.High, e.Queries, e.Facts,
                    e.MeanSize);
                (v[c, a], lo[c, a], hi[c, a]) = (Num(e.Mean), Num(e.Low), Num(e.High));
            }
        if (Empty(w, v, $"KL vs QL under {ThresholdText(r, m, threshold)}"))
            return;
        w.Figure($"ql_kl_vs_ql_{threshold}", $"Method `{m.Method}`, classes under {ThresholdText(r, m, threshold)}: " +
                 "Δprob when suppressing (× 0) the cell's refined set (KL's one shared set) or the query's own top " +
                 "KNs of the same size, on its correct training queries (the refined set was chosen from them) and " +
                 "held-out-template queries (no set was chosen from them); bars are means, whiskers 95% bootstrap " +
                 "intervals over facts. Mean set sizes (the two arms' are equal by construction): " +
                 string.Join(", ", data.Rows.Where(row => row[2] == "kl_shared").Select(row =>
                     $"{SplitText(row[0])} · {row[1]} {FromCell(row[8])} " +
                     $"({row[6]} queries)")) + ".", data, path =>
            QueryLocalizationPlots.BarsWithIntervals(path, $"KL vs QL by suppression ({m.Method}, {threshold})",
                "query split · class", "Δprob", cats.Select(c => $"{SplitText(c.split)} · {c.cls}").ToArray(),
                arms.Select(a => a.Item2).ToArray(), v, lo, hi));
    }

    private static string FromCell(string cell) =>
        cell.Length == 0 ? "–" : F(double.Parse(cell, CultureInfo.InvariantCulture));

    /// <summary>True (and says so) when a figure would have no bar: no rows, or no Otsu τ to class them by.
    /// </summary>
    private static bool Empty(SectionWriter w, double[,] values, string what)
    {
        if (values.Cast<double>().Any(double.IsFinite))
            return false;
        w.Text($"No figure for the {what}: no finite mean (no rows for the classified cells, or no threshold: " +
               "Otsu's τ needs a CS₂ histogram with two occupied bins).");
        return true;
    }

    private static string SplitText(string split) => split == TemplateSplits.Train ? "training" : "held-out";

    private static double Num(double? v) => v is { } x ? FigureData.Num(x) : double.NaN;

    private static void Mapping(SectionWriter w, QueryLocalizationReduction r, MethodResult m, string threshold)
    {
        var cats = (from alpha in QueryLocalizationStage.MappingAlphas
            from arm in new[] { "own", "neighbour", "intersection" }
            select (arm, alpha)).ToArray();
        var series = (from cls in Classes from control in new[] { false, true } select (cls, control)).ToArray();
        var data = new FigureData("arm", "alpha", "class", "control", "dprob_mean", "ci_low", "ci_high", "queries",
            "facts", "mean_set_size");
        var (v, lo, hi) = (new double[cats.Length, series.Length], new double[cats.Length, series.Length],
            new double[cats.Length, series.Length]);
        for (int c = 0; c < cats.Length; c++)
            for (int s = 0; s < series.Length; s++)
            {
                var e = m.Arm("mapping", cats[c].arm, TemplateSplits.Train, series[s].control, cats[c].alpha,
                    threshold, series[s].cls)?.Dprob ?? Estimate.Empty;
                data.Add(cats[c].arm, cats[c].alpha, series[s].cls, series[s].control, e.Mean, e.Low, e.High,
                    e.Queries, e.Facts, e.MeanSize);
                (v[c, s], lo[c, s], hi[c, s]) = (Num(e.Mean), Num(e.Low), Num(e.High));
            }
        string empty = string.Join(", ", m.EmptyIntersections.Where(x => x.Threshold == threshold)
            .Select(x => $"{x.Class} {x.Empty} of {x.Cells} cells ({F(x.Share)})"));
        if (Empty(w, v, $"query-KN mapping under {ThresholdText(r, m, threshold)}"))
            return;
        w.Figure($"ql_mapping_{threshold}", $"Method `{m.Method}`, classes under {ThresholdText(r, m, threshold)}: " +
                 "the query-KN mapping. Each correct query of a classified cell's first n has its own coarse set, " +
                 "each neighbour's (the cell's other queries, averaged per query first), and the cell's " +
                 "intersection suppressed (× 0) or enhanced (× 2), and each set's matched random control (same " +
                 "size and layers); whiskers are 95% bootstrap intervals over facts. Empty intersections (no " +
                 $"effect by construction): {empty}. Mean set sizes are in the CSV.", data, path =>
            QueryLocalizationPlots.BarsWithIntervals(path, $"Query-KN mapping ({m.Method}, {threshold})",
                "set · scaling", "Δprob", cats.Select(c => $"{c.arm} ×{c.alpha:0}").ToArray(),
                series.Select(s => s.control ? $"{s.cls}, random control" : s.cls).ToArray(), v, lo, hi, 1100));
    }

    private static void Synapses(SectionWriter w, QueryLocalizationReduction r)
    {
        var rows = r.Synapses.Where(s => s.Variant is "top_k" or "subject").ToList();
        if (rows.Count == 0)
        {
            w.Text("No knowledge-synapse rows: the run has no `synapses` table, or the probe was disabled.");
            return;
        }
        var alphas = rows.Select(s => s.Alpha).Distinct().Order().ToArray();
        var cats = (from a in alphas from measure in new[] { "dprob", "dact" } select (a, measure)).ToArray();
        // The paper's rule (top-k columns) first, then the labelled subject variant; each beside its own control.
        var series = (from variant in new[] { "top_k", "subject" }
                      where rows.Any(x => x.Variant == variant)
                      from control in new[] { false, true }
                      select (variant, control)).ToArray();
        var data = new FigureData("alpha", "measure", "variant", "arm", "mean", "ci_low", "ci_high", "queries",
            "facts", "non_finite");
        var (v, lo, hi) = (new double[cats.Length, series.Length], new double[cats.Length, series.Length],
            new double[cats.Length, series.Length]);
        for (int c = 0; c < cats.Length; c++)
            for (int s = 0; s < series.Length; s++)
            {
                var row = rows.FirstOrDefault(x => x.Alpha == cats[c].a && x.Variant == series[s].variant &&
                                                   x.Control == series[s].control);
                var e = row is null ? Estimate.Empty : cats[c].measure == "dprob" ? row.Dprob : row.Dact;
                data.Add(cats[c].a, cats[c].measure, series[s].variant, series[s].control ? "random" : "chosen",
                    e.Mean, e.Low, e.High, e.Queries, e.Facts, e.NonFinite);
                (v[c, s], lo[c, s], hi[c, s]) = (Num(e.Mean), Num(e.Low), Num(e.High));
            }
        if (Empty(w, v, "knowledge synapses"))
            return;
        static string Label((string Variant, bool Control) s) =>
            (s.Variant == "top_k" ? "top-k attention columns" : "subject's columns") +
            (s.Control ? ": random control" : "");
        w.Figure("ql_synapses", $"Knowledge synapses (method `{rows[0].Method}`'s coarse KNs): every head's top-k " +
                 "attention columns of the prediction row scaled by α (0 = knockout), or (the labelled variant) the " +
                 "subject's token columns in every head, each against as many random other columns; Δprob is the " +
                 "target probability's relative change, Δact the mean relative change of the query's coarse-KN " +
                 "activations (queries without KNs left out); whiskers are 95% bootstrap intervals over facts.",
            data, path =>
            QueryLocalizationPlots.BarsWithIntervals(path, "Knowledge synapses against their control", "measure · α",
                "relative change", cats.Select(c => $"{(c.measure == "dprob" ? "Δprob" : "Δact")} α={c.a:0.#}")
                    .ToArray(), series.Select(Label).ToArray(), v, lo, hi));
    }

    private static void SynapseHeatmaps(ReportContext ctx, SectionWriter w)
    {
        var first = ctx.Tables.Rows("SELECT query_id FROM synapse_heatmaps ORDER BY query_id LIMIT 1");
        if (first.Count == 0)
            return;
        string query = (string)first[0][0]!;
        var rows = ctx.Tables.Rows("""
            SELECT layer, input_ids, attention_before, attention_after, kn_unit, activation_before, activation_after,
                   alpha
            FROM synapse_heatmaps WHERE query_id = ? ORDER BY layer
            """, query);
        var ids = Ints(rows[0][1]);
        var cols = ids.Select((id, i) => $"{i}:{id}").ToArray();
        var layerLabels = rows.Select(x => $"layer {x[0]}").ToArray();
        double alpha = Convert.ToDouble(rows[0][7]);
        foreach (var (name, column, when) in new[] { ("before", 2, "before"), ("after", 3, "after") })
        {
            var data = new FigureData("layer", "position", "input_id", "attention");
            var m = new double[rows.Count, ids.Length];
            for (int l = 0; l < rows.Count; l++)
            {
                var att = Floats(rows[l][column]);
                for (int p = 0; p < ids.Length; p++)
                {
                    double a = FigureData.Num(p < att.Length ? att[p] : double.NaN);
                    data.Add(rows[l][0], p, ids[p], a);
                    m[l, p] = a;
                }
            }
            w.Figure($"ql_synapse_attention_{name}", $"Query `{query}`: the prediction row's attention over the " +
                     $"prompt's positions (mean over heads), per layer, {when} its top-k columns are scaled by " +
                     $"α = {alpha:0.#}. Columns are position:token id.", data, path =>
                Plots.Heatmap(path, $"Attention {when} (α = {alpha:0.#})", "position:token id", "layer", layerLabels,
                    cols, m, "attention", Math.Clamp(300 + 40 * ids.Length, 700, 1400), 160 + 40 * rows.Count));
        }
        var kn = new FigureData("layer", "unit", "activation_before", "activation_after");
        var labels = new List<string>();
        var values = new List<(double, double)>();
        foreach (var x in rows)
        {
            var units = Ints(x[4]);
            var (b, a) = (Floats(x[5]), Floats(x[6]));
            for (int i = 0; i < units.Length; i++)
            {
                kn.Add(x[0], units[i], FigureData.Num(b[i]), FigureData.Num(a[i]));
                labels.Add($"L{x[0]} u{units[i]}");
                values.Add((FigureData.Num(b[i]), FigureData.Num(a[i])));
            }
        }
        if (labels.Count == 0)
        {
            w.Text($"Query `{query}` has no coarse KN, so there is no activation figure.");
            return;
        }
        var v = new double[labels.Count, 2];
        for (int i = 0; i < labels.Count; i++)
            (v[i, 0], v[i, 1]) = values[i];
        w.Figure("ql_synapse_kn_activation", $"Query `{query}`: its coarse KNs' activations at the prediction " +
                 $"position before and after the same scaling (α = {alpha:0.#}).", kn, path =>
            Plots.GroupedBars(path, "Coarse-KN activations before and after", "knowledge neuron (layer, unit)",
                "activation", labels.ToArray(), ["before", "after"], v));
    }

    /// <summary>
    /// QL's Figure 1: the coarse sets of one consistent (K_I) and one inconsistent (K_II) cell, query by query. The
    /// cell shown is the one nearest its class's median CS₂ (ties: fact id, language), a typical member rather
    /// than an extreme.
    /// </summary>
    private static void Figure1(ReportContext ctx, SectionWriter w, MethodResult m)
    {
        string table = ctx.Tables.IsPerMethod("kn_sets") ? "kn_sets_by_method" : "kn_sets";
        foreach (var (cls, name) in new[] { (Consistent, "ql_kn_consistent"), (Inconsistent, "ql_kn_inconsistent") })
        {
            var members = m.ClassifiedCells.Where(c => c.ClassStatic == cls).ToList();
            if (members.Count == 0)
            {
                w.Text($"No {cls} cell under method `{m.Method}` and the static τ: no heatmap for that class.");
                continue;
            }
            double median = members.Select(c => c.Cs2).Order().ElementAt(members.Count / 2);
            var cell = members.OrderBy(c => Math.Abs(c.Cs2 - median)).ThenBy(c => c.FactId, StringComparer.Ordinal)
                .ThenBy(c => c.Language, StringComparer.Ordinal).First();
            var rows = ctx.Tables.Rows($"SELECT query_id, template_id, layer, unit, score FROM {table} WHERE " +
                                       (table == "kn_sets" ? "" : "method = ? AND ") +
                                       $"query_id IN ({string.Join(", ", cell.QueryIds.Select(_ => "?"))}) " +
                                       "ORDER BY query_id",
                [.. table == "kn_sets" ? Array.Empty<object>() : [m.Method], .. cell.QueryIds]);
            var scores = rows.Select(x =>
            {
                var (l, u, s) = (Ints(x[2]), Ints(x[3]), Floats(x[4]));
                double max = s.Length > 0 ? s.Max() : 1;
                return (Template: (string)x[1]!, Map: Enumerable.Range(0, l.Length)
                    .ToDictionary(i => (l[i], u[i]), i => max > 0 ? s[i] / max : 0));
            }).ToList();
            var neurons = scores.SelectMany(s => s.Map.Keys).Distinct().Order().ToArray();
            if (neurons.Length == 0)
                continue;
            var data = new FigureData("template_id", "layer", "unit", "relative_score");
            var mat = new double[scores.Count, neurons.Length];
            for (int q = 0; q < scores.Count; q++)
                for (int n = 0; n < neurons.Length; n++)
                {
                    double v = FigureData.Num(scores[q].Map.GetValueOrDefault(neurons[n]));
                    data.Add(scores[q].Template, neurons[n].Item1, neurons[n].Item2, v);
                    mat[q, n] = v;
                }
            string article = cls == Consistent ? "a" : "an";
            w.Figure(name, $"QL's Figure 1 analogue, {article} {cls} cell: fact `{cell.FactId}` ({cell.Relation}) " +
                     $"in {LanguageNames.Of(cell.Language)}, method `{m.Method}`, CS₂ = {F(cell.Cs2)}, CS₁ = " +
                     $"{F(cell.Cs1)} (|∩| = {cell.IntersectionSize}, |∪| = {cell.UnionSize}). Rows are its first " +
                     $"{cell.QueryIds.Length} correct training queries (templates), columns every neuron coarse in " +
                     "any of them; the colour is the neuron's attribution over the query's maximum (0: not coarse).",
                data, path => Plots.Heatmap(path, $"{cls}: {cell.FactId} ({cell.Language}), CS₂ {F(cell.Cs2)}",
                    "knowledge neuron (layer, unit)", "query (template)",
                    scores.Select(s => s.Template).ToArray(), neurons.Select(n => $"L{n.Item1} u{n.Item2}").ToArray(),
                    mat, "attribution / query max", Math.Clamp(300 + 22 * neurons.Length, 700, 1600),
                    200 + 40 * scores.Count));
        }
    }

    private static void Planted(SectionWriter w, QueryLocalizationReduction r)
    {
        w.Text("The planted truth: a classified cell generalizes when more than half of its held-out-template " +
               "queries are answered correctly (cells with none are left out). If consistency meant knowledge " +
               "independent of the phrasing, generalizing cells would score higher.");
        w.Table(["method", "generalizing cells, mean CS₂", "not generalizing, mean CS₂", "no held-out query",
                "Welch t, p"],
            r.PerMethod.Select(m => (string[])
            [
                m.Method, $"{m.Planted.Generalizing}, {F(m.Planted.Cs2Generalizing)}",
                $"{m.Planted.NotGeneralizing}, {F(m.Planted.Cs2NotGeneralizing)}", $"{m.Planted.WithoutHeldout}",
                $"{F(m.Planted.Welch.T)}, {F(m.Planted.Welch.P)}",
            ]));
    }

    /// <summary>The section's closing paragraph: what the numbers say, in words, whichever way they come out.
    /// </summary>
    private static void Reading(SectionWriter w, QueryLocalizationReduction r, MethodResult m)
    {
        double? D(string analysis, string arm, bool control, double alpha, string cls) =>
            m.Arm(analysis, arm, TemplateSplits.Train, control, alpha, Static, cls)?.Dprob.Mean;
        // Suppression lowers p: the set with the more negative Δprob is the stronger.
        string Compare(double? own, double? shared) => own is null || shared is null
            ? "the two sets cannot be compared for inconsistent (K_II) cells"
            : $"the shared set is {(shared < own ? "stronger" : "weaker")} than the own set for inconsistent (K_II) " +
              "cells";
        var same = m.Null.SameObject;
        var other = m.Null.OtherObject;
        string methods = string.Join("; ", r.PerMethod.Select(x =>
            $"{x.Method} {F(x.KiiStatic.Value)} static, {F(x.KiiOtsu.Value)} Otsu"));
        var syn = r.Synapses.Where(s => s.Variant == "top_k" && s.Alpha == 0).ToList();
        w.Text($"What the numbers show. Inconsistent (K_II) share of classified cells: {methods}; under every " +
               $"method at once (∩) {F(r.JointStatic.Value)} static and {F(r.JointOtsu.Value)} Otsu. Under " +
               $"`{m.Method}` the mean CS₂ is {F(m.Cs2Static.Cs2Consistent)} for consistent (K_I) and " +
               $"{F(m.Cs2Static.Cs2Inconsistent)} for inconsistent (K_II) cells; other facts' queries in the same " +
               $"templates give {F(other.Cs2)} with another answer ({other.Cells} cells, mean k " +
               $"{F(other.MeanK)}; the cells' own at the same k: {F(other.OwnCs2)}) and {F(same.Cs2)} with the " +
               $"same answer ({same.Cells} cells, mean k {F(same.MeanK)}; own {F(same.OwnCs2)}); at k = 2, " +
               $"{F(other.PairCs2)} and {F(same.PairCs2)} against the cells' own {F(other.OwnPairCs2)} and " +
               $"{F(same.OwnPairCs2)}. Suppressing the refined (shared) set on training queries changes p by " +
               $"{F(D("kl_vs_ql", "kl_shared", false, 0, Consistent))} for consistent (K_I) and " +
               $"{F(D("kl_vs_ql", "kl_shared", false, 0, Inconsistent))} for inconsistent (K_II) cells, against " +
               $"{F(D("kl_vs_ql", "ql_own", false, 0, Consistent))} and " +
               $"{F(D("kl_vs_ql", "ql_own", false, 0, Inconsistent))} for the query's own top KNs of the same size " +
               $"({Compare(D("kl_vs_ql", "ql_own", false, 0, Inconsistent), D("kl_vs_ql", "kl_shared", false, 0,
                   Inconsistent))}). Mapping, suppression (× 0), inconsistent (K_II): own " +
               $"{F(D("mapping", "own", false, 0, Inconsistent))}, neighbour " +
               $"{F(D("mapping", "neighbour", false, 0, Inconsistent))}, intersection " +
               $"{F(D("mapping", "intersection", false, 0, Inconsistent))}, random " +
               $"{F(D("mapping", "own", true, 0, Inconsistent))}; consistent (K_I): own " +
               $"{F(D("mapping", "own", false, 0, Consistent))}, neighbour " +
               $"{F(D("mapping", "neighbour", false, 0, Consistent))}, intersection " +
               $"{F(D("mapping", "intersection", false, 0, Consistent))}, random " +
               $"{F(D("mapping", "own", true, 0, Consistent))}. Knowledge synapses (α = 0): Δprob " +
               $"{F(syn.FirstOrDefault(s => !s.Control)?.Dprob.Mean)} against {F(syn.FirstOrDefault(s =>
                   s.Control)?.Dprob.Mean)} for random columns, Δact {F(syn.FirstOrDefault(s =>
                   !s.Control)?.Dact.Mean)} against {F(syn.FirstOrDefault(s => s.Control)?.Dact.Mean)}. Cells that " +
               $"generalize to held-out templates have mean CS₂ {F(m.Planted.Cs2Generalizing)}, those that do not " +
               $"{F(m.Planted.Cs2NotGeneralizing)}.");
    }

    private static int[] Ints(object? v) => v is System.Collections.IEnumerable e
        ? e.Cast<object>().Select(Convert.ToInt32).ToArray() : [];

    private static double[] Floats(object? v) => v is System.Collections.IEnumerable e
        ? e.Cast<object?>().Select(x => x is null ? double.NaN : Convert.ToDouble(x)).ToArray() : [];
}
