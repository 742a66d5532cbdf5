namespace KnPipeline.Stages.Attribution;

/// <summary>
/// Coarse knowledge-neuron selection (docs/architecture.md, Definitions): a query's KNs are the (layer, unit) pairs
/// whose attribution exceeds t · max over all its layers and units. Non-finite results select nothing: they are flagged
/// upstream, never thresholded.
/// </summary>
public static class KnSelection
{
    public static (double Max, List<(int Layer, int Unit, float Score)> Neurons) Coarse(QueryAttribution q,
        double threshold)
    {
        if (q.NonFinite)
            return (double.NaN, []);
        double max = q.Layers.Max(l => l.Attributions.Length == 0 ? double.NegativeInfinity : l.Attributions.Max());
        var list = new List<(int, int, float)>();
        if (!(max > 0))
            return (max, list);
        double cut = threshold * max;
        foreach (var l in q.Layers)
            for (int i = 0; i < l.Attributions.Length; i++)
                if (l.Attributions[i] > cut)
                    list.Add((l.Layer, i, l.Attributions[i]));
        list.Sort((a, b) => b.Item3 != a.Item3 ? b.Item3.CompareTo(a.Item3)
            : a.Item1 != b.Item1 ? a.Item1.CompareTo(b.Item1)
            : a.Item2.CompareTo(b.Item2));
        return (max, list);
    }

    /// <summary>Per layer, the k highest-scoring units (ties broken by unit), layers in order.</summary>
    public static List<(int Layer, int Unit, float Score)> TopKPerLayer(QueryAttribution q, int k)
    {
        var all = new List<(int Layer, int Unit, float Score)>();
        foreach (var l in q.Layers)
            all.AddRange(l.Attributions.Select((s, i) => (l.Layer, i, s)).OrderByDescending(x => x.s)
                .ThenBy(x => x.i).Take(k));
        return all;
    }
}
