using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Localization;

/// <summary>
/// One method's attributions of a fact: its correct queries by language (every split) and its correct
/// training-template queries (the ones sets are built from), flat, normalized and in template order.
/// </summary>
public sealed class FactMethodView
{
    private readonly Dictionary<string, List<QueryScores>> _train = new();
    private readonly Dictionary<string, List<(TokenizedQueryRecord Query, QueryScores Scores)>> _correct = new();
    private readonly int[] _layers;
    private readonly int _ffn;

    public FactMethodView(IReadOnlyList<MethodAttribution> records, int ffnWidth)
    {
        _ffn = ffnWidth;
        _layers = records.Count == 0 ? [] : records[0].Result.Layers.Select(l => l.Layer).ToArray();
        // Template order, so "a random query" is drawn from the same list whatever order the batches came in.
        foreach (var r in records.OrderBy(r => r.Query.QueryId, StringComparer.Ordinal))
        {
            var result = r.Result;
            if (result.NonFinite || result.TargetRank != 0)
                continue;
            var scores = new QueryScores(r.Query.QueryId, r.Query.Language, r.Query.Split, result.TargetProb,
                result.Layers.SelectMany(l => l.Attributions).ToArray());
            Add(_correct, r.Query.Language, (r.Query, scores));
            if (r.Query.Split == TemplateSplits.Train)
                Add(_train, r.Query.Language, scores);
        }
    }

    private static void Add<T>(Dictionary<string, List<T>> d, string key, T value)
    {
        if (!d.TryGetValue(key, out var list))
            d[key] = list = [];
        list.Add(value);
    }

    /// <summary>The attributed layers, in the order of the flat index.</summary>
    public IReadOnlyList<int> Layers => _layers;

    /// <summary>The flat index of (layer, unit), or -1 when the layer was not attributed.</summary>
    public int Flat(int layer, int unit) => Array.IndexOf(_layers, layer) is var i and >= 0 ? i * _ffn + unit : -1;

    public IReadOnlyList<QueryScores> Train(string language) => _train.GetValueOrDefault(language) ?? [];

    public IReadOnlyList<(TokenizedQueryRecord Query, QueryScores Scores)> Correct(string language) =>
        _correct.GetValueOrDefault(language) ?? [];

    public (int[] Layers, int[] Units) Neurons(IEnumerable<int> flat)
    {
        var list = flat.ToList();
        return (list.Select(i => _layers[i / _ffn]).ToArray(), list.Select(i => i % _ffn).ToArray());
    }

    public NeuronSet Set(IEnumerable<int> flat)
    {
        var (layers, units) = Neurons(flat);
        return new NeuronSet(layers, units);
    }
}
