namespace KnPipeline.Stages.Localization;

/// <summary>
/// MATRICE's scores (docs/architecture.md, MATRICE; DESIGN §4 is our documented reconstruction, not the paper's
/// published formula): query-level aggregation within a language, then language-level aggregation across the
/// languages where the fact is localized. Plain arrays over flat neuron indices; every function is pure, so the
/// leave-one-language-out test can call it on any subset of languages.
/// </summary>
public static class Matrice
{
    /// <summary>S_i^ℓ of one language's queries under <paramref name="variant"/>, and σ_i^ℓ = std_q Ã_i(q)
    /// (population), the query-level uncertainty.</summary>
    public static (double[] Score, double[] Sigma) QueryLevel(IReadOnlyList<QueryScores> queries,
        QueryVariant variant, double lambda, double frequencyThreshold)
    {
        if (queries.Count == 0)
            throw new ArgumentException("a language needs at least one query", nameof(queries));
        int n = queries[0].Normalized.Length;
        var mean = new double[n];
        var sigma = new double[n];
        foreach (var q in queries)
            for (int i = 0; i < n; i++)
                mean[i] += q.Normalized[i];
        for (int i = 0; i < n; i++)
            mean[i] /= queries.Count;
        foreach (var q in queries)
            for (int i = 0; i < n; i++)
            {
                double d = q.Normalized[i] - mean[i];
                sigma[i] += d * d;
            }
        for (int i = 0; i < n; i++)
            sigma[i] = Math.Sqrt(sigma[i] / queries.Count);
        var score = new double[n];
        switch (variant)
        {
            case QueryVariant.MeanStd:
                for (int i = 0; i < n; i++)
                    score[i] = mean[i] - lambda * sigma[i];
                break;
            case QueryVariant.ConfidenceWeighted:
                double total = queries.Sum(q => q.TargetProb);
                foreach (var q in queries)
                    for (int i = 0; i < n; i++)
                        score[i] += q.TargetProb * q.Normalized[i];
                for (int i = 0; i < n; i++)
                    score[i] = total > 0 ? score[i] / total : mean[i];
                break;
            default:
                foreach (var q in queries)
                    for (int i = 0; i < n; i++)
                        if (q.Normalized[i] > frequencyThreshold)
                            score[i] += 1.0 / queries.Count;
                break;
        }
        return (score, sigma);
    }

    /// <summary>
    /// The language-level score S_i and the agnostic set (flat indices, by descending S_i then index) over the given
    /// languages' S^ℓ, and σ_i = std_ℓ S_i^ℓ. Fewer than two languages give no agnostic neuron (a neuron cannot be
    /// shown to be shared by one language); S_i is then that language's S^ℓ.
    /// </summary>
    public static (double[] Score, int[] Agnostic, double[] Sigma) LanguageLevel(IReadOnlyList<double[]> perLanguage,
        LanguageVariant variant, double lambda, double tau)
    {
        if (perLanguage.Count == 0)
            return ([], [], []);
        int n = perLanguage[0].Length, l = perLanguage.Count;
        var mean = new double[n];
        var sigma = new double[n];
        for (int i = 0; i < n; i++)
        {
            double m = 0;
            foreach (var s in perLanguage)
                m += s[i];
            m /= l;
            double v = 0;
            foreach (var s in perLanguage)
                v += (s[i] - m) * (s[i] - m);
            mean[i] = m;
            sigma[i] = Math.Sqrt(v / l);
        }
        var score = new double[n];
        var agnostic = new List<int>();
        int k = (l + 1) / 2;
        var column = new double[l];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < l; j++)
                column[j] = perLanguage[j][i];
            bool isAgnostic;
            switch (variant)
            {
                case LanguageVariant.MeanStd:
                    score[i] = mean[i] - lambda * sigma[i];
                    isAgnostic = score[i] > tau;
                    break;
                case LanguageVariant.All:
                    score[i] = column.Min();
                    isAgnostic = score[i] > tau;
                    break;
                default:
                    Array.Sort(column);
                    score[i] = column[l - k];
                    isAgnostic = score[i] > tau;
                    break;
            }
            if (isAgnostic && l >= 2)
                agnostic.Add(i);
        }
        return (score, agnostic.OrderByDescending(i => score[i]).ThenBy(i => i).ToArray(), sigma);
    }

    /// <summary>
    /// The refined KNs of one language's queries: coarse (Ã &gt; t) in more than <paramref name="share"/> of them;
    /// each with the share it reached, by descending share then index.
    /// </summary>
    public static (int Index, float Share)[] Refined(IReadOnlyList<QueryScores> queries, double t, double share)
    {
        if (queries.Count == 0)
            return [];
        var counts = new Dictionary<int, int>();
        foreach (var q in queries)
            foreach (int i in q.Coarse(t))
                counts[i] = counts.GetValueOrDefault(i) + 1;
        return counts.Select(kv => (Index: kv.Key, Share: (double)kv.Value / queries.Count))
            .Where(x => x.Share > share).OrderByDescending(x => x.Share).ThenBy(x => x.Index)
            .Select(x => (x.Index, (float)x.Share)).ToArray();
    }
}
