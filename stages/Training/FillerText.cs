namespace KnPipeline.Stages.Training;

/// <summary>
/// Filler sentences: lists of 3 to 6 names drawn from one language's benchmark vocabulary (its subjects and objects),
/// joined with the language's list separator ("Paris, Tolstoy, Kenya." / "巴黎、托尔斯泰、肯尼亚。"). A list states
/// nothing, so filler can never teach a false fact about a benchmark subject; what it does teach is every name's
/// token sequence in a context that does not predict it from a relation, so the model cannot answer a fact prompt
/// just by having seen the name before. Drawn with a seeded <see cref="Random"/> over an ordinally sorted name list:
/// the same benchmark and seed give the same filler.
/// </summary>
public static class FillerText
{
    public sealed record Sentence(string Language, string Text, IReadOnlyList<int> NameBoundaries);

    /// <summary>
    /// <paramref name="count"/> filler sentences for one language. A list that <paramref name="allowed"/> refuses (one
    /// that names both halves of a language-held-out cell) is drawn again.
    /// </summary>
    public static List<Sentence> Generate(EmbeddedBenchmark.Language language, IEnumerable<string> names, int count,
        Random random, Func<string, bool>? allowed = null)
    {
        var pool = names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var (separator, end) = Punctuation(language);
        var result = new List<Sentence>(count);
        if (pool.Count == 0)
            return result;
        for (int i = 0; i < count; i++)
        {
            var sentence = Draw(language, pool, random, separator, end);
            while (allowed != null && !allowed(sentence.Text))
                sentence = Draw(language, pool, random, separator, end);
            result.Add(sentence);
        }
        return result;
    }

    private static Sentence Draw(EmbeddedBenchmark.Language language, List<string> pool, Random random,
        string separator, string end)
    {
        int n = random.Next(3, 7);
        var text = new System.Text.StringBuilder();
        var bounds = new List<int>();
        for (int k = 0; k < n; k++)
        {
            if (k > 0)
                text.Append(separator);
            bounds.Add(text.Length);
            text.Append(pool[random.Next(pool.Count)]);
            bounds.Add(text.Length);
        }
        text.Append(end);
        return new Sentence(language.Code, text.ToString(), bounds);
    }

    /// <summary>List separator and full stop: the ideographic comma and stop for zh/ja, the Arabic comma for ar.</summary>
    public static (string Separator, string End) Punctuation(EmbeddedBenchmark.Language language) => language.Code switch
    {
        "ar" or "fa" or "ur" => ("، ", "."),
        "zh" or "ja" => ("、", "。"),
        _ when !language.Spaces => ("、", "。"),
        _ => (", ", "."),
    };
}
