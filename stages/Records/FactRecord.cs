namespace KnPipeline.Stages.Records;

/// <summary>
/// One fact (subject, relation, object) in one language. <see cref="FactId"/> is the same for a fact in every
/// language it appears in, so facts align across languages by id.
/// </summary>
/// <param name="FactId">Stable id: the benchmark's own (uuid, fact_id) or one derived from its line ids.</param>
/// <param name="Relation">Relation id, e.g. <c>P19</c>.</param>
/// <param name="Language">Language code, e.g. <c>en</c>, <c>zh-hans</c>.</param>
/// <param name="Subject">The subject label that fills <c>[X]</c>.</param>
/// <param name="Object">The gold object label (<c>[Y]</c>).</param>
/// <param name="Aliases">Other accepted spellings of the object; empty when the benchmark has none.</param>
/// <param name="Split">
/// <see cref="TemplateSplits.Train"/>, or <see cref="TemplateSplits.HeldoutLanguage"/> for a cell the model is never
/// trained on. Defaults to train: only the embedded benchmark records the field, and a fact no one held out is one a
/// model may have seen.
/// </param>
public sealed record FactRecord(
    string FactId,
    string Relation,
    string Language,
    string Subject,
    string Object,
    IReadOnlyList<string> Aliases,
    string Split = TemplateSplits.Train)
{
    /// <summary>Version of this record's Parquet schema, written as <c>kn.schema_version</c>.</summary>
    public const string SchemaVersion = "fact/2";

    /// <summary>
    /// The answer follows from the subject's name or nationality (the embedded benchmark's <c>guessable</c>): such
    /// facts are left out of the figures that ask whether knowledge transferred. Not a Parquet column: the analyses
    /// that need it copy it into their own records.
    /// </summary>
    public bool Guessable { get; init; }
}
