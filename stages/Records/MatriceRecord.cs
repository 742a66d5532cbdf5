namespace KnPipeline.Stages.Records;

/// <summary>
/// MATRICE's aggregation of one fact under one method and one pair of variants (docs/architecture.md, MATRICE):
/// the languages it aggregated (those where the fact is localized) and those it left out, the language-agnostic
/// neurons with their aggregated score S_i, and the language-level uncertainty (the mean over the agnostic neurons
/// of std_ℓ S_i^ℓ; NaN when there are none). <see cref="Score"/>, every neuron's S_i laid out layer-major
/// (<see cref="FfnWidth"/> per layer), is kept for the default pair only: the per-relation top-k reads it.
/// </summary>
public sealed record MatriceRecord(
    string FactId,
    string Relation,
    string Method,
    string QueryVariant,
    string LanguageVariant,
    bool IsDefault,
    bool Guessable,
    string[] Languages,
    string[] LeftOut,
    int[] AgnosticLayer,
    int[] AgnosticUnit,
    float[] AgnosticScore,
    double LanguageSigma,
    int FfnWidth,
    float[] Score)
{
    /// <summary>Version of this record's Parquet schema.</summary>
    public const string SchemaVersion = "matrice/1";

    /// <summary>The row's variant pair as one name, <c>query×language</c>.</summary>
    public string Variant => $"{QueryVariant}×{LanguageVariant}";
}

/// <summary>Parquet schema of <see cref="MatriceRecord"/>.</summary>
public static class MatriceRecordSchema
{
    private static readonly MatriceRecord Empty = new("", "", "", "", "", false, false, [], [], [], [], [], 0, 0, []);

    public static readonly RecordSchema<MatriceRecord> Instance = RecordSchema.For(MatriceRecord.SchemaVersion, Empty)
        .String("fact_id", r => r.FactId, (r, v) => r with { FactId = v })
        .String("relation", r => r.Relation, (r, v) => r with { Relation = v })
        .String("method", r => r.Method, (r, v) => r with { Method = v })
        .String("query_variant", r => r.QueryVariant, (r, v) => r with { QueryVariant = v })
        .String("language_variant", r => r.LanguageVariant, (r, v) => r with { LanguageVariant = v })
        .Value("is_default", r => r.IsDefault, (r, v) => r with { IsDefault = v })
        .Value("guessable", r => r.Guessable, (r, v) => r with { Guessable = v })
        .StringList("languages", r => r.Languages, (r, v) => r with { Languages = v })
        .StringList("left_out", r => r.LeftOut, (r, v) => r with { LeftOut = v })
        .List("agnostic_layer", r => r.AgnosticLayer, (r, v) => r with { AgnosticLayer = v })
        .List("agnostic_unit", r => r.AgnosticUnit, (r, v) => r with { AgnosticUnit = v })
        .List("agnostic_score", r => r.AgnosticScore, (r, v) => r with { AgnosticScore = v })
        .Value("language_sigma", r => r.LanguageSigma, (r, v) => r with { LanguageSigma = v })
        .Value("ffn_width", r => r.FfnWidth, (r, v) => r with { FfnWidth = v })
        .List("score", r => r.Score, (r, v) => r with { Score = v })
        .Build();
}
