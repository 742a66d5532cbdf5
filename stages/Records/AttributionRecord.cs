namespace KnPipeline.Stages.Records;

/// <summary>
/// Integrated gradients of one query (DESIGN §2): F(a), the first target's probability and rank, and per attributed
/// layer F(baseline), the attribution sum and the completeness gap; the top-k neurons over all layers; and, unless
/// <c>attribution.keep_full</c> is false, every neuron's score as one float32 list laid out layer-major
/// (<see cref="Layers"/>[i] × ffn_width). No wall-clock values, so equal runs give equal records.
/// </summary>
public sealed record AttributionRecord(
    string QueryId,
    string FactId,
    string Relation,
    string Language,
    string TemplateId,
    string Split,
    double FA,
    double TargetProb,
    int TargetRank,
    bool NonFinite,
    int[] Layers,
    double[] LayerFBaseline,
    double[] LayerSum,
    double[] LayerGap,
    int[] TopLayer,
    int[] TopUnit,
    float[] TopScore,
    int FfnWidth,
    float[] Attributions) : IQueryKeyed
{
    public const string SchemaVersion = "attribution/1";
}

/// <summary>
/// The coarse knowledge neurons of one query (DESIGN §2): every (layer, unit) with attribution above
/// threshold × the query's maximum over all layers and units, in descending score order.
/// </summary>
public sealed record KnSetRecord(
    string QueryId,
    string FactId,
    string Relation,
    string Language,
    string TemplateId,
    double Threshold,
    double MaxScore,
    int[] Layer,
    int[] Unit,
    float[] Score) : IQueryKeyed
{
    public const string SchemaVersion = "kn_set/1";
}
