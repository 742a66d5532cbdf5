namespace KnPipeline.Stages.Localization;

/// <summary>
/// The consistency scores of a fact's coarse KN sets across its queries (docs/architecture.md, Query localization;
/// our documented choice, the QL paper's formulas not being public). The Jaccard of two empty sets is 0 here, as in
/// the overlap matrices: no shared neuron shows no agreement.
/// </summary>
public static class Consistency
{
    public static double Jaccard(IReadOnlyCollection<int> a, IReadOnlyCollection<int> b)
    {
        if (a.Count == 0 && b.Count == 0)
            return 0;
        var set = a as ISet<int> ?? a.ToHashSet();
        int inter = b.Count(set.Contains);
        return (double)inter / (a.Count + b.Count - inter);
    }

    /// <summary>CS₁: the mean pairwise Jaccard of the sets (NaN for fewer than two).</summary>
    public static double Cs1(IReadOnlyList<IReadOnlyCollection<int>> sets)
    {
        if (sets.Count < 2)
            return double.NaN;
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < sets.Count; i++)
            for (int j = i + 1; j < sets.Count; j++, pairs++)
                sum += Jaccard(sets[i], sets[j]);
        return sum / pairs;
    }

    /// <summary>CS₂ = |∩| / |∪| over every set (0 when the union is empty, NaN for fewer than two), with the two
    /// sizes and the intersection itself (ascending).</summary>
    public static (double Cs2, int[] Intersection, int UnionSize) Cs2(IReadOnlyList<IReadOnlyCollection<int>> sets)
    {
        if (sets.Count < 2)
            return (double.NaN, [], 0);
        var inter = new SortedSet<int>(sets[0]);
        var union = new HashSet<int>(sets[0]);
        foreach (var s in sets.Skip(1))
        {
            inter.IntersectWith(s);
            union.UnionWith(s);
        }
        return (union.Count == 0 ? 0 : (double)inter.Count / union.Count, inter.ToArray(), union.Count);
    }
}
