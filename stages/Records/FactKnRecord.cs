namespace KnPipeline.Stages.Records;

/// <summary>
/// The knowledge neurons of one fact in one language under one method (docs/architecture.md, MATRICE): the refined
/// set (coarse in more than p of the fact's correct training-template queries there, with at least
/// <c>min_queries</c> of them), and, under the default MATRICE variant, the language-level score's inputs: the
/// per-language set (S^ℓ &gt; τ), its language-specific part (minus the fact's agnostic set) and the query-level
/// uncertainty over the agnostic neurons. A language where the fact has too few correct queries is a row with
/// <see cref="Localized"/> false and empty sets, so it is counted, not lost.
/// </summary>
public sealed record FactKnRecord(
    string FactId,
    string Relation,
    string Language,
    string Method,
    string CellSplit,
    int CorrectQueries,
    bool Localized,
    int[] RefinedLayer,
    int[] RefinedUnit,
    float[] RefinedShare,
    int[] LanguageLayer,
    int[] LanguageUnit,
    int[] SpecificLayer,
    int[] SpecificUnit,
    double QuerySigma)
{
    /// <summary>Version of this record's Parquet schema.</summary>
    public const string SchemaVersion = "fact_kn/1";
}

/// <summary>Parquet schema of <see cref="FactKnRecord"/>.</summary>
public static class FactKnRecordSchema
{
    private static readonly FactKnRecord Empty = new("", "", "", "", "", 0, false, [], [], [], [], [], [], [], 0);

    public static readonly RecordSchema<FactKnRecord> Instance = RecordSchema.For(FactKnRecord.SchemaVersion, Empty)
        .String("fact_id", r => r.FactId, (r, v) => r with { FactId = v })
        .String("relation", r => r.Relation, (r, v) => r with { Relation = v })
        .String("language", r => r.Language, (r, v) => r with { Language = v })
        .String("method", r => r.Method, (r, v) => r with { Method = v })
        .String("cell_split", r => r.CellSplit, (r, v) => r with { CellSplit = v })
        .Value("correct_queries", r => r.CorrectQueries, (r, v) => r with { CorrectQueries = v })
        .Value("localized", r => r.Localized, (r, v) => r with { Localized = v })
        .List("refined_layer", r => r.RefinedLayer, (r, v) => r with { RefinedLayer = v })
        .List("refined_unit", r => r.RefinedUnit, (r, v) => r with { RefinedUnit = v })
        .List("refined_share", r => r.RefinedShare, (r, v) => r with { RefinedShare = v })
        .List("language_layer", r => r.LanguageLayer, (r, v) => r with { LanguageLayer = v })
        .List("language_unit", r => r.LanguageUnit, (r, v) => r with { LanguageUnit = v })
        .List("specific_layer", r => r.SpecificLayer, (r, v) => r with { SpecificLayer = v })
        .List("specific_unit", r => r.SpecificUnit, (r, v) => r with { SpecificUnit = v })
        .Value("query_sigma", r => r.QuerySigma, (r, v) => r with { QuerySigma = v })
        .Build();
}
