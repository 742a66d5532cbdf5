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

/// <summary>How attribution runs (the <c>attribution:</c> section of pipeline.yaml, DESIGN §2 and §3).</summary>
public sealed record AttributionSettings
{
    public int Steps { get; init; } = 20;
    public string Rule { get; init; } = "right";
    /// <summary>prob or logprob.</summary>
    public string Objective { get; init; } = "prob";
    /// <summary>Layers to attribute; null for all.</summary>
    public int[]? Layers { get; init; }
    /// <summary>fast (prefix-cached suffix passes) or naive (one full pass per layer, as peers do).</summary>
    public string Algorithm { get; init; } = "fast";
    /// <summary>Vocabulary chunk of the LM head's matmul.</summary>
    public int HeadChunk { get; init; } = 8192;
    /// <summary>
    /// On a CPU, the fast algorithm cuts a batch into this many contiguous slices, one per single-threaded worker
    /// (fewer for fewer queries). Fixed by the configuration, not the machine, so the results do not depend on the
    /// core count; set it to the number of cores for speed.
    /// </summary>
    public int CpuWorkers { get; init; } = 2;
}

/// <summary>One layer's integrated gradients for one query.</summary>
public sealed record LayerAttribution(int Layer, double FBaseline, double Sum, double Gap, float[] Attributions);

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
    /// <summary>True when any attribution or F is NaN or infinite; such records are flagged, never thresholded.</summary>
    public bool NonFinite => !double.IsFinite(FA) ||
        Layers.Any(l => !double.IsFinite(l.FBaseline) || !double.IsFinite(l.Sum) || l.Attributions.Any(a => !float.IsFinite(a)));
}

/// <summary>Supplies the baseline activation b of a query at a layer (null means the zero baseline).</summary>
public interface IBaselineProvider
{
    float[]? Baseline(AttributionQuery query, int layer);
}
