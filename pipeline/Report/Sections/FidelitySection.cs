using System.Globalization;

namespace KnPipeline.Report.Sections;

/// <summary>
/// How faithful the attributions are: integrated gradients should satisfy completeness, Σ attr = F(a) − F(b), and
/// the gap |Σ attr − (F(a) − F(b))| shrinks as the number of steps grows. It is shown relative to |F(a) − F(b)|,
/// the quantity being decomposed, per layer, because a batching or caching bug shows up here first, in one layer.
/// </summary>
public sealed class FidelitySection : IReportSection
{
    public string Anchor => "fidelity";
    public string Title => "Attribution fidelity";
    public IReadOnlyList<string> Tables => ["attributions"];
    public IReadOnlyList<string> Figures => ["fidelity_relative_gap"];

    /// <summary>Half-decade bins of log10(relative gap), clamped to [1e-9, 1e3]: finer than a layer's spread.</summary>
    private const double BinWidth = 0.5, Low = -9, High = 3;

    /// <summary>
    /// Every finite (query, layer) with its rule, integration points, |gap| and |F(a) − F(b)|, as SQL over the
    /// unnested lists (zipped). Parts written before the per-layer rule existed give NULL, read as the config's.
    /// </summary>
    private static string Gaps(string rule, int steps, bool perLayerRule) => $"""
        WITH g AS (
            SELECT layer, coalesce(rule, '{rule.Replace("'", "''")}') AS rule, coalesce(points, {steps}) AS points,
                   abs(gap) AS gap, abs(f_a - fb) AS delta
            FROM (SELECT unnest(layers) AS layer, unnest(layer_gap) AS gap, unnest(layer_f_baseline) AS fb,
                         {(perLayerRule ? "unnest(layer_rule)" : "NULL")} AS rule,
                         {(perLayerRule ? "unnest(layer_points)" : "NULL")} AS points, f_a
                  FROM attributions WHERE NOT non_finite))
        """;

    public void Write(ReportContext ctx, SectionWriter w)
    {
        string rule = $"rule {ctx.Config("attribution.rule")}, m = {ctx.Config("attribution.steps")} steps, " +
                      $"objective {ctx.Config("attribution.objective")}, {ctx.MethodText()}";
        string gaps = Gaps(ctx.Config("attribution.rule")?.ToString() ?? "?",
            ctx.Config("attribution.steps")?.GetValue<int>() ?? 0, ctx.Tables.HasColumn("attributions", "layer_rule"));
        var q = ctx.Tables.Rows(gaps + """
            SELECT rule, points, layer, count(*), median(gap), quantile_cont(gap, 0.9), max(gap),
                   median(gap / nullif(delta, 0)), quantile_cont(gap / nullif(delta, 0), 0.9),
                   max(gap / nullif(delta, 0)), count(*) FILTER (WHERE delta = 0)
            FROM g GROUP BY rule, points, layer ORDER BY rule, points, layer
            """);
        long nonFinite = (long)ctx.Tables.Scalar("SELECT count(*) FROM attributions WHERE non_finite");
        w.Text($"Completeness gap = Σᵢ attrᵢ − (F(a) − F(b)) per attributed query and layer ({rule}; the " +
               "table " +
               "splits by the rule and number of points each (query, layer) used, which differ under the adaptive " +
               "rule). The relative " +
               "gap divides |gap| by |F(a) − F(b)|; (query, layer) pairs with F(a) = F(b) are left out of it. " +
               (nonFinite > 0 ? $"{nonFinite} queries with non-finite results are left out."
                   : "No query had a non-finite result.") +
               (ctx.RunSummary?["completeness_gap_median"] is { } med ? $" The run's median |gap|: {med}." : ""));
        w.Table(["rule", "points", "layer", "(query, layer) pairs", "median |gap|", "90th pct |gap|", "max |gap|",
                 "median relative",
                 "90th pct relative", "max relative", "F(a) = F(b)"],
            q.Select(r => new[] { r[0]!.ToString()!, r[1]!.ToString()!, r[2]!.ToString()!, r[3]!.ToString()! }
                .Concat(r.Skip(4).Take(6).Select(v => v is null ? "–" : Convert.ToDouble(v).ToString("G3",
                    CultureInfo.InvariantCulture)))
                .Append(r[10]!.ToString()!).ToArray()));

        var bins = ctx.Tables.Rows(gaps + $"""
            , b AS (SELECT layer, least({High - BinWidth}, greatest({Low},
                        floor(log10(greatest(gap / delta, 1e-300)) / {BinWidth}) * {BinWidth})) AS bin
                    FROM g WHERE delta > 0)
            SELECT layer, bin, count(*), count(*) / sum(count(*)) OVER (PARTITION BY layer)
            FROM b GROUP BY layer, bin ORDER BY layer, bin
            """);
        if (bins.Count == 0)
        {
            w.Text("No (query, layer) pair has F(a) ≠ F(b), so there is no relative gap to show.");
            return;
        }
        // Every bin from the lowest to the highest one reached, zeros included, so the CSV is the plotted grid.
        var layers = bins.Select(r => Convert.ToInt32(r[0])).Distinct().Order().ToArray();
        double first = bins.Min(r => Convert.ToDouble(r[1])), last = bins.Max(r => Convert.ToDouble(r[1]));
        var lows = Enumerable.Range(0, (int)Math.Round((last - first) / BinWidth) + 1)
            .Select(i => first + i * BinWidth).ToArray();
        var found = bins.ToDictionary(r => (Convert.ToInt32(r[0]), Convert.ToDouble(r[1])),
            r => (Pairs: Convert.ToInt64(r[2]), Share: FigureData.Num(Convert.ToDouble(r[3]))));
        var data = new FigureData("layer", "log10_relative_gap_bin_low", "pairs", "share");
        var xs = lows.Select(b => b + BinWidth / 2).ToArray();
        var values = new double[lows.Length, layers.Length];
        for (int l = 0; l < layers.Length; l++)
            for (int i = 0; i < lows.Length; i++)
            {
                var (pairs, share) = found.GetValueOrDefault((layers[l], lows[i]));
                data.Add(layers[l], lows[i], pairs, share);
                values[i, l] = share;
            }
        w.Figure("fidelity_relative_gap", $"Distribution of the relative completeness gap per layer ({rule}); " +
                 $"half-decade bins of log10(|gap| / |F(a) − F(b)|), clamped to [1e{Low}, 1e{High}]. Further left " +
                 "is more faithful.", data, path => Plots.Lines(path,
                 "Relative completeness gap per layer", "log10(|gap| / |F(a) − F(b)|)",
                 "share of (query, layer) pairs", xs, layers.Select(l => $"layer {l}").ToArray(), values));
    }
}
