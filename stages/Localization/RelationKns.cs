using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Localization;

/// <summary>
/// The per-relation KN sets for later injection (docs/architecture.md, MATRICE): the top-k neurons of the mean of
/// the default variant's aggregated score S_i over a relation's facts. Fed one record at a time, it keeps one sum
/// per relation (not the records), so memory is the relations times the neurons, whatever the number of facts.
/// Each score is summed in fixed point (rounded to 2^-40, far below a float's resolution near 1), so the sum is
/// exact and the same in any order: a run merged from shards, whose parts arrive in another order, ranks the same.
/// </summary>
public sealed class RelationKns
{
    private readonly SortedDictionary<string, (long[] Sum, int Facts)> _sums = new(StringComparer.Ordinal);

    /// <summary>Adds a default-variant record; a fact with no localized language has no score and is skipped.
    /// </summary>
    public void Add(MatriceRecord r)
    {
        if (r.Score.Length == 0)
            return;
        if (!_sums.TryGetValue(r.Relation, out var s))
            s = (new long[r.Score.Length], 0);
        if (s.Sum.Length != r.Score.Length)
            throw new InvalidDataException(
                $"matrice: fact {r.FactId} has {r.Score.Length} scores, its relation {r.Relation} {s.Sum.Length}");
        for (int i = 0; i < r.Score.Length; i++)
            s.Sum[i] += (long)Math.Round(r.Score[i] * Scale);
        _sums[r.Relation] = (s.Sum, s.Facts + 1);
        FfnWidth = r.FfnWidth;
    }

    private const double Scale = 1L << 40;

    public int FfnWidth { get; private set; }

    /// <summary>The top <paramref name="k"/> neurons per relation by mean score (ties: the lower index).</summary>
    /// <param name="layers">The attributed layers in score order (<c>attribution.layers</c>); null or empty for
    /// every layer from 0.</param>
    public IReadOnlyList<RelationKn> Top(int k, IReadOnlyList<int>? layers = null)
    {
        var list = new List<RelationKn>();
        foreach (var (relation, (sum, facts)) in _sums)
        {
            var top = Enumerable.Range(0, sum.Length).OrderByDescending(i => sum[i]).ThenBy(i => i).Take(k);
            int rank = 0;
            foreach (int i in top)
            {
                int block = i / FfnWidth;
                int layer = layers is { Count: > 0 } ? layers[block] : block;
                list.Add(new RelationKn(relation, ++rank, layer, i % FfnWidth, sum[i] / Scale / facts, facts));
            }
        }
        return list;
    }
}

/// <summary>One neuron of a relation's top-k: its rank, place and mean aggregated score over the relation's facts.
/// </summary>
public sealed record RelationKn(string Relation, int Rank, int Layer, int Unit, double MeanScore, int Facts);
