using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Attribution;

/// <summary>
/// One query to attribute. <see cref="PredictionPosition"/> is where the neuron activation is scaled (the last prompt
/// token for causal LMs, the first [MASK] for MLMs); F is averaged over the (position, id) target pairs. For
/// <c>target: first-token</c> there is one pair at the prediction position. With <c>all-tokens</c>, causal LMs get
/// the gold object teacher-forced (the input holds the prompt and all but the last object token; the i-th target
/// sits at prediction position + i), and MLMs score every [MASK].
/// </summary>
public sealed record AttributionQuery(
    string Id,
    int[] InputIds,
    int[]? TokenTypeIds,
    int PredictionPosition,
    int[] TargetPositions,
    int[] TargetIds);

/// <summary>
/// One layer's integrated gradients for one query, with the rule that produced them, the integration points it
/// evaluated (device rows; for the fixed rules m) and whether |gap| ≤ tolerance·|F(a) − F(b)|. A path that misses the
/// tolerance is kept and flagged, for every rule: adaptive ones only when max_steps stopped them.
/// </summary>
public sealed record LayerAttribution(int Layer, double FBaseline, double Sum, double Gap, float[] Attributions)
{
    public IntegrationRule Rule { get; init; } = IntegrationRule.Right;
    public int Points { get; init; }
    public bool ToleranceMet { get; init; }

    /// <summary>|gap| / |F(a) − F(b)|: what <c>attribution.tolerance</c> bounds (NaN when F(a) = F(b)).</summary>
    public double RelativeGap(double fa) => Math.Abs(Gap) / Math.Abs(fa - FBaseline);
}

/// <summary>
/// The result for one query: F(a) (the objective with no intervention), the first target's probability and rank
/// (the number of logits strictly above it), and per layer the attributions with their completeness gap.
/// </summary>
public sealed record QueryAttribution(
    string Id,
    double FA,
    double TargetProb,
    double TargetLogProb,
    int TargetRank,
    IReadOnlyList<LayerAttribution> Layers)
{
    /// <summary>True when any attribution or F is NaN or infinite; such records are flagged, never
    /// thresholded.</summary>
    public bool NonFinite => !double.IsFinite(FA) ||
        Layers.Any(l => !double.IsFinite(l.FBaseline) || !double.IsFinite(l.Sum) ||
            l.Attributions.Any(a => !float.IsFinite(a)));
}

/// <summary>One localized query's integrated gradients under one method (<c>attribution.methods</c>).</summary>
public sealed record MethodAttribution(TokenizedQueryRecord Query, AttributionMethod Method,
    QueryAttribution Result);

/// <summary>Supplies the baseline activation b of a query at a layer (null means the zero baseline).</summary>
public interface IBaselineProvider
{
    float[]? Baseline(AttributionQuery query, int layer);
}
