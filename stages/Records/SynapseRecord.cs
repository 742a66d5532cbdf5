namespace KnPipeline.Stages.Records;

/// <summary>
/// One knowledge-synapse intervention on one query (docs/architecture.md, Query localization): the chosen attention
/// columns of every head of every layer (<see cref="Variant"/> <c>top_k</c>: the top-k columns of the prediction
/// row's weights, never the prediction column nor a special first token), or as many random other columns
/// (<see cref="Control"/>), scaled by α. <see cref="Dact"/> is the mean over the query's coarse KNs (under
/// <see cref="Method"/>) of (a_after − a_before) / |a_before| (NaN when it has none).
/// </summary>
public sealed record SynapseRecord(
    string QueryId,
    string FactId,
    string Relation,
    string Language,
    string TemplateId,
    string Split,
    string Method,
    string Variant,
    bool Control,
    double Alpha,
    int Columns,
    int KnCount,
    double PBefore,
    double PAfter,
    double Dact) : IQueryKeyed
{
    public const string SchemaVersion = "synapse/1";

    public double Dprob => Records.Dprob.Of(PBefore, PAfter);
}

/// <summary>Parquet schema of <see cref="SynapseRecord"/>.</summary>
public static class SynapseRecordSchema
{
    private static readonly SynapseRecord Empty = new("", "", "", "", "", "", "", "", false, 0, 0, 0, 0, 0, 0);

    public static readonly RecordSchema<SynapseRecord> Instance = RecordSchema.For(SynapseRecord.SchemaVersion, Empty)
        .QueryKey((r, k) => r with
        {
            QueryId = k.QueryId, FactId = k.FactId, Relation = k.Relation, Language = k.Language,
            TemplateId = k.TemplateId,
        })
        .String("split", r => r.Split, (r, v) => r with { Split = v })
        .String("method", r => r.Method, (r, v) => r with { Method = v })
        .String("variant", r => r.Variant, (r, v) => r with { Variant = v })
        .Value("control", r => r.Control, (r, v) => r with { Control = v })
        .Value("alpha", r => r.Alpha, (r, v) => r with { Alpha = v })
        .Value("columns", r => r.Columns, (r, v) => r with { Columns = v })
        .Value("kn_count", r => r.KnCount, (r, v) => r with { KnCount = v })
        .Value("p_before", r => r.PBefore, (r, v) => r with { PBefore = v })
        .Value("p_after", r => r.PAfter, (r, v) => r with { PAfter = v })
        .Value("dprob", r => r.Dprob, (r, v) => r)
        .Value("dact", r => r.Dact, (r, v) => r with { Dact = v })
        .Build();
}

/// <summary>
/// The data of one attention × KN-activation heatmap (one query per fact, top-k columns knocked out at the first α):
/// per layer, the prediction row's attention over the prompt's positions (mean over heads) and the query's coarse
/// KNs' activations in that layer, before and after.
/// </summary>
public sealed record SynapseHeatmapRecord(
    string QueryId,
    string FactId,
    string Relation,
    string Language,
    string TemplateId,
    double Alpha,
    int Layer,
    int[] InputIds,
    float[] AttentionBefore,
    float[] AttentionAfter,
    int[] KnUnit,
    float[] ActivationBefore,
    float[] ActivationAfter) : IQueryKeyed
{
    public const string SchemaVersion = "synapse_heatmap/1";
}

/// <summary>Parquet schema of <see cref="SynapseHeatmapRecord"/>.</summary>
public static class SynapseHeatmapRecordSchema
{
    private static readonly SynapseHeatmapRecord Empty = new("", "", "", "", "", 0, 0, [], [], [], [], [], []);

    public static readonly RecordSchema<SynapseHeatmapRecord> Instance = RecordSchema
        .For(SynapseHeatmapRecord.SchemaVersion, Empty)
        .QueryKey((r, k) => r with
        {
            QueryId = k.QueryId, FactId = k.FactId, Relation = k.Relation, Language = k.Language,
            TemplateId = k.TemplateId,
        })
        .Value("alpha", r => r.Alpha, (r, v) => r with { Alpha = v })
        .Value("layer", r => r.Layer, (r, v) => r with { Layer = v })
        .List("input_ids", r => r.InputIds, (r, v) => r with { InputIds = v })
        .List("attention_before", r => r.AttentionBefore, (r, v) => r with { AttentionBefore = v })
        .List("attention_after", r => r.AttentionAfter, (r, v) => r with { AttentionAfter = v })
        .List("kn_unit", r => r.KnUnit, (r, v) => r with { KnUnit = v })
        .List("activation_before", r => r.ActivationBefore, (r, v) => r with { ActivationBefore = v })
        .List("activation_after", r => r.ActivationAfter, (r, v) => r with { ActivationAfter = v })
        .Build();
}
