namespace KnPipeline.Report.Sections;

/// <summary>
/// How each language tokenizes: object length in tokens (long objects make the first-token target a weaker test of
/// knowing the object), the unknown-token rate (a tokenizer that does not cover the script), and the queries that
/// never reached the model, by reason.
/// </summary>
public sealed class TokenizationSection : IReportSection
{
    public string Anchor => "tokenization";
    public string Title => "Tokenization";
    public IReadOnlyList<string> Tables => ["tokenized"];
    public IReadOnlyList<string> Figures => ["tokenization_tokens_per_object", "tokenization_not_attributed"];

    public void Write(ReportContext ctx, SectionWriter w)
    {
        // Object lengths from the table (SQL); unknown-token counts from the chunk markers, which count them over the
        // tokens the tokenizer saw (input without masks, plus target), as the run's summary does.
        var rows = ctx.Tables.Rows("SELECT language, count(*), avg(object_tokens), max(object_tokens) FROM tokenized " +
                                   "GROUP BY language ORDER BY language");
        var stats = ctx.Markers.SelectMany(m => m.TokenStats ?? [])
            .GroupBy(s => s.Language, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Stages.Tokenization.LanguageTokenStats.Sum(g)[0], StringComparer.Ordinal);
        var data = new FigureData("language", "queries_tokenized", "tokens_per_object");
        foreach (var r in rows)
            data.Add(r[0], r[1], FigureData.Num(Convert.ToDouble(r[2])));
        var langs = data.Strings("language");
        var perObject = data.Numbers("tokens_per_object");
        w.Figure("tokenization_tokens_per_object", "Mean gold-object length in tokens per language (the target is " +
                 "the object's first token).", data, path => Plots.GroupedBars(path, "Object length in tokens",
                 "language", "tokens per object (mean)", langs.Select(LanguageNames.Of).ToArray(), ["tokens"],
                 Column(perObject)));
        w.Table(["language", "queries tokenized", "tokens per object (mean)", "longest object", "unknown-token rate",
                 "skipped (subject after object)", "quarantined"],
            rows.Select(r =>
            {
                var s = stats.GetValueOrDefault((string)r[0]!);
                return new[]
                {
                    LanguageNames.WithCode((string)r[0]!), Convert.ToInt64(r[1]).ToString("N0"),
                    Convert.ToDouble(r[2]).ToString("F3"), r[3]!.ToString()!,
                    s is null ? "?" : $"{100 * s.UnknownTokenRate:F3}%", s?.Skipped.ToString() ?? "?",
                    s?.Quarantined.ToString() ?? "?",
                };
            }));
        NotAttributed(ctx, w, stats);
    }

    /// <summary>Queries per language that never reached the device, by reason: skipped or quarantined.</summary>
    private static void NotAttributed(ReportContext ctx, SectionWriter w,
        IReadOnlyDictionary<string, Stages.Tokenization.LanguageTokenStats> stats)
    {
        var counts = new SortedDictionary<(string Language, string Reason), long>();
        foreach (var (lang, s) in stats)
            if (s.Skipped > 0)
                counts[(lang, "skipped: subject after object")] = s.Skipped;
        if (ctx.Tables.Has("quarantine"))
            foreach (var r in ctx.Tables.Rows("SELECT language, stage || ': ' || reason, count(*) FROM quarantine " +
                                              "GROUP BY ALL ORDER BY ALL"))
                counts[((string)r[0]!, (string)r[1]!)] = Convert.ToInt64(r[2]);
        // Expansion skips whole templates before any query exists; the markers count them per reason for the run.
        var runSkips = new System.Text.Json.Nodes.JsonObject();
        ctx.Totals.AddCounters(runSkips);
        var reasons = runSkips.Where(kv => kv.Key.StartsWith("skipped_", StringComparison.Ordinal)).ToList();
        w.Text(reasons.Count == 0 ? "Query expansion skipped no template."
            : "Skipped by query expansion (whole run; the chunk markers count these per reason, not per language): " +
              string.Join(", ", reasons.Select(kv => $"{kv.Value} `{kv.Key["skipped_".Length..]}`")) + ".");
        if (counts.Count == 0)
        {
            w.Text("Tokenization skipped and quarantined no query, in any language.");
            return;
        }
        var data = new FigureData("language", "reason", "queries");
        foreach (var ((lang, reason), n) in counts)
            data.Add(lang, reason, n);
        var langs = counts.Keys.Select(k => k.Language).Distinct().Order(StringComparer.Ordinal).ToArray();
        var why = counts.Keys.Select(k => k.Reason).Distinct().Order(StringComparer.Ordinal).ToArray();
        var values = new double[langs.Length, why.Length];
        for (int l = 0; l < langs.Length; l++)
            for (int r = 0; r < why.Length; r++)
                values[l, r] = counts.GetValueOrDefault((langs[l], why[r]));
        w.Figure("tokenization_not_attributed", "Queries that never reached the model, per language and reason: " +
                 "templates a causal LM cannot use (the subject comes after the object) and quarantined records.",
            data, path => Plots.GroupedBars(path, "Queries not attributed, by reason", "language", "queries",
                langs.Select(LanguageNames.Of).ToArray(), why, values));
    }

    private static double[,] Column(double[] v)
    {
        var m = new double[v.Length, 1];
        for (int i = 0; i < v.Length; i++)
            m[i, 0] = v[i];
        return m;
    }
}
