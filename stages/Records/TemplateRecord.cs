namespace KnPipeline.Stages.Records;

/// <summary>
/// One cloze template of a relation in one language. <see cref="Text"/> holds exactly one <c>[X]</c> (the subject)
/// and one <c>[Y]</c> (the object).
/// </summary>
/// <param name="Relation">Relation id, e.g. <c>P19</c>.</param>
/// <param name="Language">Language code.</param>
/// <param name="TemplateId">Unique within (language); formats without ids get <c>{relation}_{n}</c>.</param>
/// <param name="Text">Template text, e.g. <c>[X] was born in [Y] .</c></param>
/// <param name="Split"><see cref="TemplateSplits.Train"/> or <see cref="TemplateSplits.Heldout"/>.</param>
public sealed record TemplateRecord(
    string Relation,
    string Language,
    string TemplateId,
    string Text,
    string Split)
{
    /// <summary>Version of this record's Parquet schema, written as <c>kn.schema_version</c>.</summary>
    public const string SchemaVersion = "template/1";

    /// <summary>The subject placeholder.</summary>
    public const string SubjectSlot = "[X]";

    /// <summary>The object placeholder.</summary>
    public const string ObjectSlot = "[Y]";

    /// <summary>True when <c>[X]</c> comes before <c>[Y]</c>, the only order a causal LM can use (docs/architecture.md,
    /// Definitions).</summary>
    public bool SubjectFirst => Text.IndexOf(SubjectSlot, StringComparison.Ordinal) <
                                Text.IndexOf(ObjectSlot, StringComparison.Ordinal);
}
