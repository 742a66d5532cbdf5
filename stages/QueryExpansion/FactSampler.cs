using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.QueryExpansion;

/// <summary>
/// The deterministic per-relation fact sample: the k distinct fact ids with the smallest
/// <see cref="StableHash.Mixed"/>(seed, fact_id). It streams: memory is k ids per relation, whatever the input size,
/// and the result does not depend on the order facts arrive in.
/// </summary>
public static class FactSampler
{
    /// <summary>The sampled (relation, fact_id) pairs.</summary>
    public static HashSet<(string Relation, string FactId)> Pick(IEnumerable<FactRecord> facts, int perRelation,
        long seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perRelation, 1);
        var heaps = new Dictionary<string, Reservoir>(StringComparer.Ordinal);
        foreach (var f in facts)
        {
            if (!heaps.TryGetValue(f.Relation, out var r))
                heaps[f.Relation] = r = new Reservoir(perRelation);
            r.Offer(StableHash.Mixed(seed, f.FactId), f.FactId);
        }
        var picked = new HashSet<(string, string)>();
        foreach (var (relation, r) in heaps)
            foreach (string id in r.Ids)
                picked.Add((relation, id));
        return picked;
    }

    /// <summary>The k smallest (hash, id) seen, as a max-heap so the largest is evicted first.</summary>
    private sealed class Reservoir(int capacity)
    {
        private readonly PriorityQueue<string, (ulong Hash, string Id)> _heap =
            new(Comparer<(ulong Hash, string Id)>.Create((a, b) =>
            {
                int c = b.Hash.CompareTo(a.Hash);
                return c != 0 ? c : string.CompareOrdinal(b.Id, a.Id);
            }));

        // The ids in the heap: a fact seen again in another language must not take a second place.
        private readonly HashSet<string> _members = new(StringComparer.Ordinal);

        public IEnumerable<string> Ids => _members;

        public void Offer(ulong hash, string id)
        {
            if (_members.Contains(id))
                return;
            if (_heap.Count < capacity)
            {
                _heap.Enqueue(id, (hash, id));
                _members.Add(id);
                return;
            }
            _heap.TryPeek(out string? worstId, out var worst);
            // Ties on hash are broken by id, so the sample is a pure function of the id set.
            if (hash > worst.Hash || (hash == worst.Hash && string.CompareOrdinal(id, worst.Id) >= 0))
                return;
            _heap.DequeueEnqueue(id, (hash, id));
            _members.Remove(worstId!);
            _members.Add(id);
        }
    }
}
