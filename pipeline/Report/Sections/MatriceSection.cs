using System.Globalization;
using KnPipeline.Hosting;
using KnPipeline.Stages.Localization;
using ScottPlot;
using static KnPipeline.Stages.Localization.MatriceStatistics;

namespace KnPipeline.Report.Sections;

/// <summary>
/// MATRICE (issue #15): language-agnostic and language-specific knowledge neurons, how far a fact's refined sets
/// agree across languages, the uncertainty MATRICE weighs, the leave-one-language-out test of the agnostic sets
/// against AMIG's, a single query's, a fixed-k and a random set, and the comparison with the testbed's planted
/// truth (facts that transfer to their held-out languages or not). The numbers are the reduce phase's
/// (<see cref="MatriceReducer.Compute"/>, recomputed here from the tables so a report never disagrees with them).
/// </summary>
public sealed class MatriceSection : IReportSection
{
    public string Anchor => "matrice";
    public string Title => "MATRICE";
    public IReadOnlyList<string> Tables => ["matrice", "fact_kns"];

    public IReadOnlyList<string> Figures =>
    [
        "matrice_per_layer", "matrice_per_layer_by_method", "matrice_overlap", "matrice_uncertainty", "matrice_lolo",
        "matrice_lolo_by_method", "matrice_lolo_by_script", "matrice_lolo_by_family", "matrice_planted_truth",
    ];

    public void Write(ReportContext ctx, SectionWriter w)
    {
        var r = MatriceReducer.Compute(ctx.Run);
        var main = r.Methods.FirstOrDefault(m => m.Method == r.SummaryMethod);
        if (main is null)
        {
            w.Text("No data: the `matrice` table has no record of the default variant pair.");
            return;
        }
        Choices(ctx, w, r);
        Headline(w, r);
        Localized(ctx, w, main.Method);
        PerLayer(w, main);
        PerLayerByMethod(w, r);
        Overlap(w, main);
        Uncertainty(w, main);
        Lolo(w, r, main);
        Planted(w, r);
        Relations(w, r);
    }

    private static void Choices(ReportContext ctx, SectionWriter w, MatriceReduction r)
    {
        w.Text("Our documented choices (docs/architecture.md, MATRICE; the paper's formulas are not public, so this " +
               "is our reconstruction): per query Ã = A / max A; within a language S^ℓ = mean_q Ã − λ_q·std_q Ã; " +
               "across languages S = mean_ℓ S^ℓ − λ_ℓ·std_ℓ S^ℓ, language-agnostic iff S > τ " +
               $"(τ = {r.Tau?.ToString(CultureInfo.InvariantCulture) ?? "?"}, λ_q = " +
               $"{ctx.Config("localization.query_lambda")}, λ_ℓ = {ctx.Config("localization.language_lambda")}); " +
               "sets come from correct training-template queries only; a fact needs two localized languages " +
               $"(≥ {ctx.Config("localization.min_queries")} correct queries each) to have agnostic KNs. " +
               "Language-specific KNs of ℓ: S^ℓ > τ minus the agnostic set. Fact-specific: an agnostic neuron of " +
               "fact f is agnostic for at most max(1, " +
               $"{r.FactSpecificRatio.ToString(CultureInfo.InvariantCulture)} · n) of the n facts of f's relation " +
               "(the floor of one is ours: with 6 facts per relation, 10% alone allows none). The Jaccard index of " +
               "two empty sets is 0 (no shared neuron shows no agreement). Δprob = the mean over evaluated queries " +
               "of (p_after − p_before) / p_before, suppressing the arm's set (× 0) at the prediction position; 95% " +
               $"percentile bootstrap intervals resample facts with replacement ({r.BootstrapResamples} resamples, " +
               $"run seed {r.Seed}, one generator per arm and group). Methods: `dai` is IG from the zero baseline, " +
               "`amig` IG from AMIG's baseline; AMIG's own code multiplies by a_i where we multiply by (a − b̄).");
        w.Text($"Figures are over method `{r.SummaryMethod}` (the summary's) unless they say otherwise; every " +
               "method's numbers are in `reduce/matrice.json`.");
    }

    /// <summary>Per language, the fact cells whose aggregation could include them and those left out: too few
    /// correct training-template queries, or a cell the model was never trained on (held out by language).</summary>
    private static void Localized(ReportContext ctx, SectionWriter w, string method)
    {
        var rows = ctx.Tables.Rows(
            "SELECT language, count(*), count(*) FILTER (WHERE localized), " +
            "count(*) FILTER (WHERE NOT localized AND cell_split <> 'heldout-language'), " +
            "count(*) FILTER (WHERE cell_split = 'heldout-language') " +
            "FROM fact_kns WHERE method = ? GROUP BY language ORDER BY language", method);
        if (rows.Count == 0)
            return;
        w.Text($"Method `{method}`: (fact, language) cells localized (at least " +
               $"{ctx.Config("localization.min_queries")} correct training-template queries), and those left out of " +
               "the aggregation, counted per language.");
        w.Table(["language", "cells", "localized", "too few correct queries", "held out by language"],
            rows.Select(x => x.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "").ToArray()));
    }

    private static void Headline(SectionWriter w, MatriceReduction r)
    {
        w.Table(["method", "facts", "agnostic KNs per fact", "fact-specific share", "facts < 2 languages",
                "overlap same script", "overlap cross script", "overlap ja–zh", "non-empty MATRICE sets"],
            r.Methods.Select(m => new[]
            {
                m.Method, $"{m.Facts}", $"{F(m.AgnosticKns.Mean)} (over {m.AgnosticKns.Facts})",
                $"{F(m.FactSpecificity.Share)} ({m.FactSpecificity.FactSpecificPairs}/{m.FactSpecificity.Pairs})",
                $"{m.AgnosticKns.FewLanguages}", Pairs(m.Overlap.SameScript, m.Overlap.SameScriptPairs),
                Pairs(m.Overlap.CrossScript, m.Overlap.CrossScriptPairs), Pairs(m.Overlap.JaZh, m.Overlap.JaZhPairs),
                $"{F(m.LoloNonemptyShare)} of {m.LoloPairs} (fact, B)",
            }));
        // DESIGN §4.7: the share of a relation's facts for which each agnostic neuron is agnostic.
        foreach (var m in r.Methods.Where(m => m.FactSpecificity.Neurons.Count > 0))
            w.Text($"`{m.Method}`: agnostic neurons by the number of their relation's facts they are agnostic for " +
                   "(share of the relation's facts): " + string.Join("; ", m.FactSpecificity.Neurons
                       .GroupBy(n => (n.Facts, n.RelationFacts)).OrderBy(g => g.Key.Facts)
                       .ThenBy(g => g.Key.RelationFacts)
                       .Select(g => $"{g.Key.Facts} of {g.Key.RelationFacts} " +
                                    $"({F((double)g.Key.Facts / g.Key.RelationFacts)}): {g.Count()} neurons")) + ".");
        var variants = r.Methods.SelectMany(m => m.Variants.Select(v => (m.Method, v))).ToList();
        if (variants.Count > 0)
            w.Table(["method", "variant (query × language)", "facts ≥ 2 languages", "agnostic KNs per fact",
                    "fact-specific share"],
                variants.Select(x => new[]
                    { x.Method, x.v.Variant, $"{x.v.Facts}", F(x.v.AgnosticKns), F(x.v.FactSpecificShare) }));
    }

    private static void PerLayer(SectionWriter w, MethodMatrice m)
    {
        if (m.PerLayer.Count == 0)
        {
            w.Text("No agnostic or language-specific KN in any layer.");
            return;
        }
        var data = new FigureData("layer", "agnostic_kns", "specific_kns");
        var values = new double[m.PerLayer.Count, 2];
        for (int i = 0; i < m.PerLayer.Count; i++)
        {
            data.Add(m.PerLayer[i].Layer, m.PerLayer[i].Agnostic, m.PerLayer[i].Specific);
            (values[i, 0], values[i, 1]) = (m.PerLayer[i].Agnostic, m.PerLayer[i].Specific);
        }
        w.Figure("matrice_per_layer", $"Method `{m.Method}`: language-agnostic KNs per layer (once per fact; " +
                 $"{m.AgnosticKns.Facts} facts with ≥ 2 localized languages, {F(m.AgnosticKns.Mean)} per fact, " +
                 $"fact-specific share {F(m.FactSpecificity.Share)}; per layer " +
                 string.Join(", ", m.PerLayer.Select(l => $"{l.Layer}: {l.Agnostic}")) + ") and language-specific " +
                 "KNs (once per fact and language).", data, path =>
            Plots.GroupedBars(path, $"Agnostic and specific KNs per layer ({m.Method})", "layer", "KNs",
                m.PerLayer.Select(l => $"layer {l.Layer}").ToArray(), ["agnostic", "language-specific"], values));
    }

    private static void PerLayerByMethod(SectionWriter w, MatriceReduction r)
    {
        if (r.Methods.Count < 2)
            return;
        var layers = r.Methods.SelectMany(m => m.PerLayer.Select(l => l.Layer)).Distinct().Order().ToArray();
        if (layers.Length == 0)
            return;
        var series = r.Methods.SelectMany(m => new[] { $"{m.Method} agnostic", $"{m.Method} specific" }).ToArray();
        var data = new FigureData("layer", "method", "agnostic_kns", "specific_kns");
        var values = new double[layers.Length, series.Length];
        for (int i = 0; i < layers.Length; i++)
            for (int j = 0; j < r.Methods.Count; j++)
            {
                var c = r.Methods[j].PerLayer.FirstOrDefault(l => l.Layer == layers[i]);
                data.Add(layers[i], r.Methods[j].Method, c?.Agnostic ?? 0, c?.Specific ?? 0);
                (values[i, 2 * j], values[i, 2 * j + 1]) = (c?.Agnostic ?? 0, c?.Specific ?? 0);
            }
        w.Figure("matrice_per_layer_by_method", "Agnostic and language-specific KNs per layer under each method; " +
                 string.Join("; ", r.Methods.Select(m => $"{m.Method}: {F(m.AgnosticKns.Mean)} agnostic per fact, " +
                     $"fact-specific share {F(m.FactSpecificity.Share)}")) + ".", data, path =>
            Plots.GroupedBars(path, "Agnostic and specific KNs per layer and method", "layer", "KNs",
                layers.Select(l => $"layer {l}").ToArray(), series, values));
    }

    private static void Overlap(SectionWriter w, MethodMatrice m)
    {
        var langs = m.Overlap.Languages.ToArray();
        if (langs.Length == 0)
            return;
        var data = new FigureData("language_a", "language_b", "mean_jaccard", "facts");
        var values = new double[langs.Length, langs.Length];
        for (int i = 0; i < langs.Length; i++)
            for (int j = 0; j < langs.Length; j++)
            {
                var (a, b) = (langs[Math.Min(i, j)], langs[Math.Max(i, j)]);
                var c = m.Overlap.Cells.FirstOrDefault(x => x.A == a && x.B == b);
                // The diagonal (a set with itself: 1, or 0 when empty) would set the colour scale; it is in the text.
                values[i, j] = c is null || i == j ? double.NaN : FigureData.Num(c.Jaccard);
                if (i < j)
                    data.Add(langs[i], langs[j], c?.Jaccard, c?.Facts ?? 0);
            }
        if (!values.Cast<double>().Any(double.IsFinite))
        {
            w.Text($"No overlap matrix for `{m.Method}`: no fact is localized in two languages.");
            return;
        }
        w.Figure("matrice_overlap", $"Method `{m.Method}`: mean Jaccard index of the refined KN sets of a fact in " +
                 "two languages, over the facts localized in both (Jaccard(∅, ∅) = 0). The diagonal is left blank: " +
                 $"{NonEmpty(m)} of the localized (fact, language) cells have a non-empty refined set. Same script " +
                 $"{Pairs(m.Overlap.SameScript, m.Overlap.SameScriptPairs)}, cross script " +
                 $"{Pairs(m.Overlap.CrossScript, m.Overlap.CrossScriptPairs)}, ja–zh apart (they share Han " +
                 $"characters) {Pairs(m.Overlap.JaZh, m.Overlap.JaZhPairs)}; pairs are (fact, language pair).",
            data, path => Plots.Heatmap(path, $"Refined-set overlap across languages ({m.Method})", "language",
                "language", langs, langs, values, "mean Jaccard", 800, 700));
    }

    private static void Uncertainty(SectionWriter w, MethodMatrice m)
    {
        var q = m.Uncertainty.Query.Select(s => s.Sigma).ToArray();
        var l = m.Uncertainty.Language.Select(s => s.Sigma).ToArray();
        if (q.Length + l.Length == 0)
        {
            w.Text("No uncertainty distribution: no fact has an agnostic KN.");
            return;
        }
        const int bins = 20;
        double max = q.Concat(l).Max() is > 0 and var top ? top : 1;
        double width = max / bins;
        var data = new FigureData("sigma_low", "sigma_high", "query_share", "language_share");
        var values = new double[bins, 2];
        var labels = new string[bins];
        for (int b = 0; b < bins; b++)
        {
            bool last = b == bins - 1;
            double lo = b * width, hi = lo + width;
            double Share(double[] xs) => xs.Length == 0 ? double.NaN
                : FigureData.Num(xs.Count(x => x >= lo && (x < hi || last)) / (double)xs.Length);
            (values[b, 0], values[b, 1]) = (Share(q), Share(l));
            data.Add(lo, hi, values[b, 0], values[b, 1]);
            labels[b] = lo.ToString("0.###", CultureInfo.InvariantCulture);
        }
        w.Figure("matrice_uncertainty", $"Method `{m.Method}`: the uncertainty MATRICE weighs, over each fact's " +
                 $"agnostic KNs: the query-level σ (std over a language's queries of Ã; {q.Length} (fact, language) " +
                 $"cells, median {F(Median(q))}) and the language-level σ (std over languages of S^ℓ; {l.Length} " +
                 $"facts, median {F(Median(l))}), as the share of each population per bin of width " +
                 $"{width.ToString("G3", CultureInfo.InvariantCulture)}.", data, path =>
            Plots.GroupedBars(path, $"Uncertainty over agnostic KNs ({m.Method})", "σ (bin start)", "share",
                labels, ["query-level σ per (fact, language)", "language-level σ per fact"], values));
    }

    private static void Lolo(SectionWriter w, MatriceReduction r, MethodMatrice main)
    {
        if (main.Lolo.Count == 0)
        {
            w.Text("No leave-one-language-out results: the run has no `lolo` rows (`localization.lolo` off?).");
            return;
        }
        w.Text("Leave one language out: for each fact and language B, each arm chooses a set without B's data and " +
               "it is suppressed on B's correct queries. matrice: the agnostic KNs of the other languages; amig: " +
               "the intersection of one random correct query's coarse set per other language (AMIG's LIKN); " +
               "single_query: as many top KNs as the matrice set from one random correct query in another language; " +
               "fixed_k: the top k by S, k = the median coarse-set size there (never empty); random: a set of the " +
               "matrice set's size and layer distribution. An empty set leaves p unchanged (Δprob 0).");
        w.Table(["method", "arm", "Δprob mean", "95% interval", "queries", "facts", "mean set size"],
            r.Methods.SelectMany(m => m.Lolo.Select(a => new[]
            {
                m.Method, a.Arm, F(a.Mean), $"[{F(a.Low)}, {F(a.High)}]", $"{a.Rows}", $"{a.Facts}",
                F(a.MeanSetSize),
            })));
        ArmFigure(w, "matrice_lolo", $"Method `{main.Method}`: Δprob of B's correct queries when each arm's set " +
            $"is suppressed, with 95% bootstrap intervals over facts; the MATRICE set is non-empty for " +
            $"{F(main.LoloNonemptyShare)} of {main.LoloPairs} (fact, B) pairs.",
            $"Leave one language out ({main.Method})", "arm", main.Lolo, a => a.Arm, _ => main.Method);
        if (r.Methods.Count > 1)
            ArmFigure(w, "matrice_lolo_by_method", "Every method's arms (Δprob, 95% bootstrap intervals over facts).",
                "Leave one language out by method", "arm",
                r.Methods.SelectMany(m => m.Lolo.Select(a => a with { Group = m.Method })).ToList(), a => a.Arm,
                a => a.Group!);
        ArmFigure(w, "matrice_lolo_by_script", $"Method `{main.Method}`: the arms grouped by the script of the " +
            "held-out language B (languages.jsonl's `script`).", $"Leave one language out by script of B " +
            $"({main.Method})", "script of B", main.LoloByScript, a => a.Group!, a => a.Arm);
        ArmFigure(w, "matrice_lolo_by_family", $"Method `{main.Method}`: the arms grouped by the language family " +
            "of B.", $"Leave one language out by family of B ({main.Method})", "family of B", main.LoloByFamily,
            a => a.Group!, a => a.Arm);
    }

    /// <summary>Bars of mean Δprob with their interval as error bars: categories × series.</summary>
    private static void ArmFigure(SectionWriter w, string name, string caption, string title, string xLabel,
        IReadOnlyList<ArmInterval> arms, Func<ArmInterval, string> category, Func<ArmInterval, string> series)
    {
        var cats = arms.Select(category).Distinct().ToArray();
        var ser = arms.Select(series).Distinct().ToArray();
        var data = new FigureData(xLabel.Replace(' ', '_'), "series", "dprob_mean", "ci_low", "ci_high", "queries",
            "facts");
        foreach (var a in arms)
            data.Add(category(a), series(a), a.Mean, a.Low, a.High, a.Rows, a.Facts);
        if (!arms.Any(a => a.Mean is { } m && m != 0))
        {
            w.Text(caption + " (No figure: every mean Δprob is 0, as when every set is empty.)");
            return;
        }
        w.Figure(name, caption, data, path =>
        {
            using Plot plot = new();
            double width = 0.8 / ser.Length;
            for (int s = 0; s < ser.Length; s++)
            {
                var bars = new List<Bar>();
                for (int c = 0; c < cats.Length; c++)
                    if (arms.FirstOrDefault(a => category(a) == cats[c] && series(a) == ser[s]) is { Mean: { } mean } a)
                    {
                        double x = c + (s - (ser.Length - 1) / 2.0) * width;
                        bars.Add(new Bar
                        {
                            Position = x, Value = FigureData.Num(mean), Size = width,
                            FillColor = Plots.Palette(s, ser.Length),
                        });
                        // The interval is asymmetric, which ScottPlot's bar error (one ± value) cannot draw: a
                        // whisker with caps instead.
                        if (a is { Low: { } low, High: { } high })
                        {
                            double lo = FigureData.Num(low), hi = FigureData.Num(high), cap = width / 4;
                            foreach (var (x1, y1, x2, y2) in new[]
                                         { (x, lo, x, hi), (x - cap, lo, x + cap, lo), (x - cap, hi, x + cap, hi) })
                            {
                                var line = plot.Add.Line(x1, y1, x2, y2);
                                line.Color = Colors.Black;
                                line.LineWidth = 1.5f;
                            }
                        }
                    }
                var bp = plot.Add.Bars(bars);
                if (ser.Length > 1)
                    bp.LegendText = ser[s];
            }
            plot.Axes.Bottom.SetTicks(cats.Select((_, i) => (double)i).ToArray(), cats);
            plot.Axes.Bottom.MajorTickStyle.Length = 0;
            if (ser.Length > 1)
                plot.ShowLegend(Edge.Right);
            plot.Add.HorizontalLine(0, 1, Colors.Black);
            plot.Title(title);
            plot.XLabel(xLabel);
            plot.YLabel("Δprob (relative change of p)");
            plot.SavePng(path, 900, 500);
        });
    }

    private static void Planted(SectionWriter w, MatriceReduction r)
    {
        var data = new FigureData("method", "group", "facts", "agnostic_kns", "overlap_jaccard");
        var values = new double[2, r.Methods.Count];
        for (int j = 0; j < r.Methods.Count; j++)
        {
            var p = r.Methods[j].PlantedTruth;
            data.Add(r.Methods[j].Method, "transfers", p.Transfer.Facts, p.Transfer.AgnosticKns,
                p.Transfer.OverlapJaccard);
            data.Add(r.Methods[j].Method, "does not transfer", p.NoTransfer.Facts, p.NoTransfer.AgnosticKns,
                p.NoTransfer.OverlapJaccard);
            values[0, j] = FigureData.Num(p.Transfer.AgnosticKns ?? double.NaN);
            values[1, j] = FigureData.Num(p.NoTransfer.AgnosticKns ?? double.NaN);
        }
        var main = r.Methods.First(m => m.Method == r.SummaryMethod);
        var t = main.PlantedTruth;
        string verdict = (t.Transfer.AgnosticKns, t.NoTransfer.AgnosticKns) switch
        {
            ({ } a, { } b) when a > b => "more agnostic KNs in the facts that transfer, as language-agnostic " +
                                         "knowledge would predict",
            ({ } a, { } b) when a < b => "fewer agnostic KNs in the facts that transfer: the opposite of what " +
                                         "language-agnostic knowledge would predict",
            ({ }, { }) => "the same number of agnostic KNs in both groups",
            _ => "no comparison: one group is empty",
        };
        double pairs = t.Transfer.Facts * (t.Transfer.AgnosticKns ?? 0) + t.NoTransfer.Facts *
            (t.NoTransfer.AgnosticKns ?? 0);
        if (pairs < 10)
            verdict += $" (only {pairs:0} agnostic KNs in both groups together: too few for the comparison to say " +
                       "much)";
        string caption = "The planted truth: a fact transfers if more than half of its " +
                 "held-out-language queries (languages it was never stated in) are answered correctly. Mean agnostic " +
                 "KNs per fact in each group (facts with ≥ 2 localized languages; the sets use trained languages " +
                 $"only by construction; guessable facts left out: {t.Guessable}; no held-out-language query: " +
                 $"{t.NoHeldOutLanguage}; fewer than 2 localized languages: {t.FewLanguages}). Method " +
                 $"`{main.Method}`: {F(t.Transfer.AgnosticKns)} over {t.Transfer.Facts} transferring facts (mean " +
                 $"overlap {F(t.Transfer.OverlapJaccard)}) against {F(t.NoTransfer.AgnosticKns)} over " +
                 $"{t.NoTransfer.Facts} (mean overlap {F(t.NoTransfer.OverlapJaccard)}): {verdict}; fact-specific " +
                 $"share of all agnostic pairs {F(main.FactSpecificity.Share)}.";
        // Bars of height zero (or none) would be an empty plot: the caption alone says it.
        if (!values.Cast<double>().Any(v => double.IsFinite(v) && v != 0))
        {
            w.Text(caption + " (No figure: no agnostic KN in either group.)");
            return;
        }
        w.Figure("matrice_planted_truth", caption, data, path =>
            Plots.GroupedBars(path, "Agnostic KNs: facts that transfer and facts that do not", "group",
                "agnostic KNs per fact", ["transfers", "does not transfer"],
                r.Methods.Select(m => m.Method).ToArray(), values));
    }

    private static void Relations(SectionWriter w, MatriceReduction r)
    {
        var main = r.Methods.First(m => m.Method == r.SummaryMethod);
        var rows = main.RelationKns.GroupBy(k => k.Relation)
            .Select(g => new[]
            {
                g.Key, $"{g.First().Facts}",
                string.Join(", ", g.Take(5).Select(k => $"L{k.Layer} u{k.Unit} ({F(k.MeanScore)})")),
            }).ToList();
        if (rows.Count == 0)
            return;
        w.Text($"Per-relation KNs (for later injection): the top {r.RelationTopK} neurons by the mean of S over a " +
               $"relation's facts, method `{main.Method}`, in `reduce/relation_kns.csv` (every method); the first " +
               "five:");
        w.Table(["relation", "facts", "top neurons (mean S)"], rows);
        int silent = main.RelationKns.Where(k => k.Rank == 1).Count(k => k.MeanScore <= 0);
        if (silent > 0)
            w.Text($"In {silent} of {rows.Count} relations even the top neuron has a mean S ≤ 0: no neuron's " +
                   "language mean clears its spread across languages there, so that top-k holds near-silent " +
                   "neurons (S ≈ 0), not neurons that carry the relation.");
    }

    private static double? Median(double[] xs)
    {
        if (xs.Length == 0)
            return null;
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>The share of localized (fact, language) cells with a non-empty refined set: the mean of the
    /// overlap's diagonal, weighted by its facts.</summary>
    private static string NonEmpty(MethodMatrice m)
    {
        var diagonal = m.Overlap.Cells.Where(c => c.A == c.B).ToList();
        int n = diagonal.Sum(c => c.Facts);
        return n == 0 ? "none" : F(diagonal.Sum(c => c.Jaccard * c.Facts) / n);
    }

    private static string Pairs(double? v, int n) => $"{F(v)} ({n} pairs)";

    private static string F(double? v) =>
        v is { } x && double.IsFinite(x) ? x.ToString("G4", CultureInfo.InvariantCulture) : "–";
}
