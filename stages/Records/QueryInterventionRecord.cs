namespace KnPipeline.Stages.Records;

/// <summary>
/// One set scaled at one query's prediction position for the query-localization study (docs/architecture.md, Query
/// localization). <see cref="Analysis"/> is <c>kl_vs_ql</c> (arms <c>kl_shared</c>: the fact's refined set in the
/// language; <c>ql_own</c>: the query's own top KNs of the same size) or <c>mapping</c> (arms <c>own</c>,
/// <c>neighbour</c>: another correct query's coarse set, named by <see cref="SourceQuery"/>, and
/// <c>intersection</c>: over the fact's n queries), each also as its matched random control
/// (<see cref="Control"/>). The fact's CS₂ and static class ride along so the reduce phase can apply Otsu classes.
/// </summary>
public sealed record QueryInterventionRecord(
    string QueryId,
    string FactId,
    string Relation,
    string Language,
    string TemplateId,
    string Split,
    string Method,
    string Analysis,
    string Arm,
    bool Control,
    double Alpha,
    string SourceQuery,
    int[] Layer,
    int[] Unit,
    double PBefore,
    double PAfter,
    double Cs2,
    string ClassStatic) : IQueryKeyed
{
    public const string SchemaVersion = "ql_intervention/1";

    /// <summary>(p_after − p_before) / p_before, every <c>*_dprob*</c> figure's unit.</summary>
    public double Dprob => Records.Dprob.Of(PBefore, PAfter);
}

/// <summary>Parquet schema of <see cref="QueryInterventionRecord"/>.</summary>
public static class QueryInterventionRecordSchema
{
    private static readonly QueryInterventionRecord Empty =
        new("", "", "", "", "", "", "", "", "", false, 0, "", [], [], 0, 0, 0, "");

    public static readonly RecordSchema<QueryInterventionRecord> Instance = RecordSchema
        .For(QueryInterventionRecord.SchemaVersion, Empty)
        .QueryKey((r, k) => r with
        {
            QueryId = k.QueryId, FactId = k.FactId, Relation = k.Relation, Language = k.Language,
            TemplateId = k.TemplateId,
        })
        .String("split", r => r.Split, (r, v) => r with { Split = v })
        .String("method", r => r.Method, (r, v) => r with { Method = v })
        .String("analysis", r => r.Analysis, (r, v) => r with { Analysis = v })
        .String("arm", r => r.Arm, (r, v) => r with { Arm = v })
        .Value("control", r => r.Control, (r, v) => r with { Control = v })
        .Value("alpha", r => r.Alpha, (r, v) => r with { Alpha = v })
        .String("source_query", r => r.SourceQuery, (r, v) => r with { SourceQuery = v })
        .List("layer", r => r.Layer, (r, v) => r with { Layer = v })
        .List("unit", r => r.Unit, (r, v) => r with { Unit = v })
        .Value("p_before", r => r.PBefore, (r, v) => r with { PBefore = v })
        .Value("p_after", r => r.PAfter, (r, v) => r with { PAfter = v })
        .Value("dprob", r => r.Dprob, (r, v) => r)
        .Value("cs2", r => r.Cs2, (r, v) => r with { Cs2 = v })
        .String("class_static", r => r.ClassStatic, (r, v) => r with { ClassStatic = v })
        .Build();
}
