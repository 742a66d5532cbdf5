namespace KnPipeline.Stages.Localization;

/// <summary>
/// One correct query's attributions under one method, normalized by its maximum (docs/architecture.md, MATRICE,
/// step 1: Ã_i(q) = A_i(q) / max_j A_j(q)), flat and layer-major over the attributed layers. A query whose maximum
/// is not positive selects nothing: its Ã is all zeros, as its coarse set is empty.
/// </summary>
public sealed class QueryScores
{
    public QueryScores(string queryId, string language, string split, double targetProb, float[] attributions)
    {
        QueryId = queryId;
        Language = language;
        Split = split;
        TargetProb = targetProb;
        Raw = attributions;
        float max = attributions.Length == 0 ? 0 : attributions.Max();
        Normalized = new float[attributions.Length];
        if (max > 0)
            for (int i = 0; i < attributions.Length; i++)
                Normalized[i] = attributions[i] / max;
    }

    public string QueryId { get; }
    public string Language { get; }
    public string Split { get; }

    /// <summary>P(o | q): the confidence-weighted variant's weight.</summary>
    public double TargetProb { get; }

    public float[] Raw { get; }
    public float[] Normalized { get; }

    /// <summary>The coarse KNs: Ã &gt; t, i.e. A &gt; t · max (flat indices, ascending).</summary>
    public int[] Coarse(double t)
    {
        var list = new List<int>();
        for (int i = 0; i < Normalized.Length; i++)
            if (Normalized[i] > t)
                list.Add(i);
        return list.ToArray();
    }

    /// <summary>The k flat indices of highest attribution (ties by index).</summary>
    public int[] Top(int k) => Enumerable.Range(0, Raw.Length).OrderByDescending(i => Raw[i]).ThenBy(i => i)
        .Take(k).ToArray();
}
