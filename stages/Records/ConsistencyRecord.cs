namespace KnPipeline.Stages.Records;

/// <summary>
/// The consistency of one fact's KNs across its rephrasings in one language under one method (docs/architecture.md,
/// Query localization; DESIGN §2, our documented choice since the QL paper's formulas are not public): CS₁, the mean
/// pairwise Jaccard of the coarse sets of its first n correct training-template queries in template order, and CS₂,
/// |∩| / |∪| over the same n (CS₂ falls mechanically with n, so n is fixed); the same over every correct training
/// query as a variant. A cell with fewer than n correct queries is a row with <see cref="Classified"/> false and NaN
/// scores. <see cref="ClassStatic"/> spells the class out: "consistent (K_I)" or "inconsistent (K_II)" (CS₂ &lt; τ);
/// the Otsu class needs every fact and is the reduce phase's. <see cref="HeldoutCorrect"/> of
/// <see cref="HeldoutTotal"/> held-out-template queries are answered correctly: the cell generalizes when most are.
/// </summary>
public sealed record ConsistencyRecord(
    string FactId,
    string Relation,
    string Language,
    string Method,
    string CellSplit,
    int CorrectQueries,
    bool Classified,
    string[] QueryIds,
    double Cs1,
    double Cs2,
    double Cs1All,
    double Cs2All,
    int IntersectionSize,
    int UnionSize,
    string ClassStatic,
    int HeldoutCorrect,
    int HeldoutTotal)
{
    public const string SchemaVersion = "consistency/1";

    public const string Consistent = "consistent (K_I)";
    public const string Inconsistent = "inconsistent (K_II)";
}

/// <summary>Parquet schema of <see cref="ConsistencyRecord"/>.</summary>
public static class ConsistencyRecordSchema
{
    private static readonly ConsistencyRecord Empty =
        new("", "", "", "", "", 0, false, [], 0, 0, 0, 0, 0, 0, "", 0, 0);

    public static readonly RecordSchema<ConsistencyRecord> Instance = RecordSchema
        .For(ConsistencyRecord.SchemaVersion, Empty)
        .String("fact_id", r => r.FactId, (r, v) => r with { FactId = v })
        .String("relation", r => r.Relation, (r, v) => r with { Relation = v })
        .String("language", r => r.Language, (r, v) => r with { Language = v })
        .String("method", r => r.Method, (r, v) => r with { Method = v })
        .String("cell_split", r => r.CellSplit, (r, v) => r with { CellSplit = v })
        .Value("correct_queries", r => r.CorrectQueries, (r, v) => r with { CorrectQueries = v })
        .Value("classified", r => r.Classified, (r, v) => r with { Classified = v })
        .StringList("query_ids", r => r.QueryIds, (r, v) => r with { QueryIds = v })
        .Value("cs1", r => r.Cs1, (r, v) => r with { Cs1 = v })
        .Value("cs2", r => r.Cs2, (r, v) => r with { Cs2 = v })
        .Value("cs1_all", r => r.Cs1All, (r, v) => r with { Cs1All = v })
        .Value("cs2_all", r => r.Cs2All, (r, v) => r with { Cs2All = v })
        .Value("intersection_size", r => r.IntersectionSize, (r, v) => r with { IntersectionSize = v })
        .Value("union_size", r => r.UnionSize, (r, v) => r with { UnionSize = v })
        .String("class_static", r => r.ClassStatic, (r, v) => r with { ClassStatic = v })
        .Value("heldout_correct", r => r.HeldoutCorrect, (r, v) => r with { HeldoutCorrect = v })
        .Value("heldout_total", r => r.HeldoutTotal, (r, v) => r with { HeldoutTotal = v })
        .Build();
}
