using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Models.Interventions;

/// <summary>
/// Any set of neurons: (layer, unit) pairs, each at most once, in the order given. Knowledge-neuron sets of one query,
/// one fact or one language, and their random controls, are all of this shape.
/// </summary>
public sealed record NeuronSet(int[] Layers, int[] Units)
{
    public static readonly NeuronSet Empty = new([], []);

    public int Count => Layers.Length;

    public IEnumerable<(int Layer, int Unit)> Pairs => Layers.Zip(Units);

    public static NeuronSet Of(IEnumerable<(int Layer, int Unit)> pairs)
    {
        var distinct = pairs.Distinct().ToList();
        return new NeuronSet(distinct.Select(p => p.Layer).ToArray(), distinct.Select(p => p.Unit).ToArray());
    }

    /// <summary>How many neurons the set has in each layer, by layer.</summary>
    public SortedDictionary<int, int> LayerCounts()
    {
        var counts = new SortedDictionary<int, int>();
        foreach (int l in Layers)
            counts[l] = counts.GetValueOrDefault(l) + 1;
        return counts;
    }

    /// <summary>Whether every layer has as many other units as the set has there, so a matched control exists (a
    /// set holding more than half of a narrow layer has none).</summary>
    public bool CanMatch(int ffnWidth) => LayerCounts().All(kv => ffnWidth - kv.Value >= kv.Value);

    /// <summary>The matched control, or the empty set (which changes nothing) when none exists.</summary>
    public NeuronSet MatchedRandomOrEmpty(int ffnWidth, long seed, string id) =>
        CanMatch(ffnWidth) ? MatchedRandom(ffnWidth, seed, id) : Empty;

    /// <summary>
    /// The matched random control of a set: as many neurons in each layer as the set has there, drawn uniformly from
    /// that layer's other units. Seeded by the run seed and a stable hash of the query or fact id it controls for,
    /// never by a shared generator, so a control does not depend on which other sets were drawn before it (a resumed
    /// or sharded run draws the same ones).
    /// </summary>
    public NeuronSet MatchedRandom(int ffnWidth, long seed, string id)
    {
        var random = new Random((int)(StableHash.Seeded(seed, id) & 0x7fffffff));
        var pairs = new List<(int, int)>();
        foreach (var (layer, count) in LayerCounts())
        {
            var own = Pairs.Where(p => p.Layer == layer).Select(p => p.Unit).ToHashSet();
            if (ffnWidth - own.Count < count)
                throw new ArgumentException($"layer {layer} has {ffnWidth} units: no {count} others to draw");
            var drawn = new HashSet<int>();
            // Rejection sampling: sets are small next to a layer's width, so a few draws suffice.
            while (drawn.Count < count)
            {
                int u = random.Next(ffnWidth);
                if (!own.Contains(u) && drawn.Add(u))
                    pairs.Add((layer, u));
            }
        }
        return Of(pairs);
    }
}
