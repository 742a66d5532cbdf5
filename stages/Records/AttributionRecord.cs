namespace KnPipeline.Stages.Records;

/// <summary>
/// Integrated gradients of one query (docs/architecture.md, Definitions): F(a), the first target's probability and
/// rank, and per attributed layer F(baseline), the attribution sum and the completeness gap; the top-k neurons over all
/// layers; and, unless
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
    /// <summary>attribution/2 added the per-layer rule, points and tolerance columns; attribution/3 the method
    /// (<see cref="Method"/>). Older parts read the columns they lack as empty.</summary>
    public const string SchemaVersion = "attribution/3";

    /// <summary>
    /// The localization method (<c>dai</c>, <c>amig</c>, <c>dataset-mean</c>; <c>attribution.methods</c>): a query has
    /// one record per method. Empty in parts older than attribution/3, whose run had one method: its manifest's
    /// <c>attribution.baseline</c>.
    /// </summary>
    public string Method { get; init; } = "";

    /// <summary>Per layer, the integration rule used (<c>adaptive</c> or a fixed rule's name).</summary>
    public string[] LayerRule { get; init; } = [];

    /// <summary>Per layer, the integration points actually used (m for a fixed rule).</summary>
    public int[] LayerPoints { get; init; } = [];

    /// <summary>
    /// Per layer, whether |gap| / |F(a) − F(b)| met <c>attribution.tolerance</c>; a path that misses it is kept and
    /// flagged here, never dropped.
    /// </summary>
    public bool[] LayerToleranceMet { get; init; } = [];
}

/// <summary>
/// The coarse knowledge neurons of one query (docs/architecture.md, Definitions): every (layer, unit) with attribution
/// above threshold × the query's maximum over all layers and units, in descending score order.
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
    /// <summary>kn_set/2 added <see cref="Method"/>; kn_set/1 parts read it as empty.</summary>
    public const string SchemaVersion = "kn_set/2";

    /// <summary>The localization method whose attributions the set was cut from (as
    /// <see cref="AttributionRecord.Method"/>).</summary>
    public string Method { get; init; } = "";
}
