using System.Runtime.CompilerServices;

namespace KnPipeline.Stages.Attribution;

/// <summary>
/// Every baseline of a set of queries and layers, fetched once on the calling thread, so that workers running on
/// other threads never call into a provider that was not written to be thread-safe.
/// </summary>
internal sealed class PrefetchedBaselines : IBaselineProvider
{
    private readonly Dictionary<(AttributionQuery Query, int Layer), float[]?> _values = new(new ByReference());

    public PrefetchedBaselines(IEnumerable<AttributionQuery> queries, IEnumerable<int> layers, IBaselineProvider inner)
    {
        var ls = layers.ToArray();
        foreach (var q in queries)
            foreach (int l in ls)
                _values[(q, l)] = inner.Baseline(q, l);
    }

    public float[]? Baseline(AttributionQuery query, int layer) =>
        _values.TryGetValue((query, layer), out var v) ? v
            : throw new InvalidOperationException($"query {query.Id}, layer {layer}: no prefetched baseline");

    // Queries are records of arrays: identity, not value equality, names the query a worker holds.
    private sealed class ByReference : IEqualityComparer<(AttributionQuery Query, int Layer)>
    {
        public bool Equals((AttributionQuery Query, int Layer) a, (AttributionQuery Query, int Layer) b) =>
            ReferenceEquals(a.Query, b.Query) && a.Layer == b.Layer;

        public int GetHashCode((AttributionQuery Query, int Layer) k) => HashCode.Combine(RuntimeHelpers.GetHashCode(k.Query), k.Layer);
    }
}
