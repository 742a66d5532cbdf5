using KnPipeline.Stages.Options;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Attribution;

/// <summary>
/// Turns the integrated gradients of attributed queries into the records the run keeps: an
/// <see cref="AttributionRecord"/> per query and method (the top-k neurons of every layer, and the full vectors unless
/// <c>keep_full</c> is false) and its coarse <see cref="KnSetRecord"/> (<see cref="KnSelection.Coarse"/> at
/// <c>kn_threshold</c>). Plain CPU work, kept off the device thread: the graph runs it beside the writer, where
/// it overlaps the device's next batches.
/// </summary>
/// <param name="knThreshold">t in attr &gt; t · max (docs/architecture.md, Definitions).</param>
/// <param name="topK">Neurons kept per layer in the top lists.</param>
/// <param name="keepFull">Keep every neuron's score (layer-major, <paramref name="ffnWidth"/> per layer).</param>
/// <param name="ffnWidth">The model's FFN width, written with every record so the full vector can be cut.</param>
public sealed class KnSelectionStage(double knThreshold, int topK, bool keepFull, int ffnWidth)
{
    /// <summary>The records of each attributed query and method, in input order.</summary>
    public (List<AttributionRecord> Attributions, List<KnSetRecord> KnSets) Run(
        IReadOnlyList<MethodAttribution> attributed)
    {
        var attributions = new List<AttributionRecord>(attributed.Count);
        var knSets = new List<KnSetRecord>(attributed.Count);
        foreach (var (q, method, r) in attributed)
        {
            attributions.Add(ToAttribution(q, r, method));
            knSets.Add(ToKnSet(q, r, method));
        }
        return (attributions, knSets);
    }

    public AttributionRecord ToAttribution(TokenizedQueryRecord q, QueryAttribution r,
        AttributionMethod method = AttributionMethod.Dai)
    {
        var top = KnSelection.TopKPerLayer(r, topK);
        return new AttributionRecord(q.QueryId, q.FactId, q.Relation, q.Language, q.TemplateId, q.Split, r.FA,
            r.TargetProb, r.TargetRank, r.NonFinite, r.Layers.Select(l => l.Layer).ToArray(),
            r.Layers.Select(l => l.FBaseline).ToArray(), r.Layers.Select(l => l.Sum).ToArray(),
            r.Layers.Select(l => l.Gap).ToArray(), top.Select(t => t.Layer).ToArray(),
            top.Select(t => t.Unit).ToArray(), top.Select(t => t.Score).ToArray(), ffnWidth,
            keepFull ? r.Layers.SelectMany(l => l.Attributions).ToArray() : [])
        {
            LayerRule = r.Layers.Select(l => OptionNames.Of(l.Rule)).ToArray(),
            LayerPoints = r.Layers.Select(l => l.Points).ToArray(),
            LayerToleranceMet = r.Layers.Select(l => l.ToleranceMet).ToArray(),
            Method = OptionNames.Of(method),
        };
    }

    public KnSetRecord ToKnSet(TokenizedQueryRecord q, QueryAttribution r,
        AttributionMethod method = AttributionMethod.Dai)
    {
        var (max, neurons) = KnSelection.Coarse(r, knThreshold);
        return new KnSetRecord(q.QueryId, q.FactId, q.Relation, q.Language, q.TemplateId, knThreshold, max,
            neurons.Select(n => n.Layer).ToArray(), neurons.Select(n => n.Unit).ToArray(),
            neurons.Select(n => n.Score).ToArray()) { Method = OptionNames.Of(method) };
    }
}
