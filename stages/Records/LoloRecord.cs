namespace KnPipeline.Stages.Records;

/// <summary>
/// One query of the leave-one-language-out test (docs/architecture.md, MATRICE, "The test of the method"): a set
/// chosen without language <see cref="Language"/> by one <see cref="Arm"/>, suppressed (× 0) at the prediction
/// position of one of that language's correct queries. <see cref="PAfter"/> equals <see cref="PBefore"/> when the
/// arm's set is empty (nothing is scaled). <see cref="SourceLanguage"/> names the language an arm's query came from
/// (single-query), empty otherwise.
/// </summary>
public sealed record LoloRecord(
    string QueryId,
    string FactId,
    string Relation,
    string Language,
    string TemplateId,
    string Split,
    string Method,
    string Arm,
    string SourceLanguage,
    int[] Layer,
    int[] Unit,
    double PBefore,
    double PAfter) : IQueryKeyed
{
    /// <summary>Version of this record's Parquet schema.</summary>
    public const string SchemaVersion = "lolo/1";

    /// <summary>The relative change (p_after − p_before) / p_before, every <c>*_dprob*</c> figure's unit.</summary>
    public double Dprob => Records.Dprob.Of(PBefore, PAfter);

    public int SetSize => Layer.Length;
}

/// <summary>Parquet schema of <see cref="LoloRecord"/>.</summary>
public static class LoloRecordSchema
{
    private static readonly LoloRecord Empty = new("", "", "", "", "", "", "", "", "", [], [], 0, 0);

    public static readonly RecordSchema<LoloRecord> Instance = RecordSchema.For(LoloRecord.SchemaVersion, Empty)
        .QueryKey((r, k) => r with
        {
            QueryId = k.QueryId, FactId = k.FactId, Relation = k.Relation, Language = k.Language,
            TemplateId = k.TemplateId,
        })
        .String("split", r => r.Split, (r, v) => r with { Split = v })
        .String("method", r => r.Method, (r, v) => r with { Method = v })
        .String("arm", r => r.Arm, (r, v) => r with { Arm = v })
        .String("source_language", r => r.SourceLanguage, (r, v) => r with { SourceLanguage = v })
        .List("layer", r => r.Layer, (r, v) => r with { Layer = v })
        .List("unit", r => r.Unit, (r, v) => r with { Unit = v })
        .Value("p_before", r => r.PBefore, (r, v) => r with { PBefore = v })
        .Value("p_after", r => r.PAfter, (r, v) => r with { PAfter = v })
        .Value("dprob", r => r.Dprob, (r, v) => r)
        .Build();
}
