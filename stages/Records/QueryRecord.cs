namespace KnPipeline.Stages.Records;

/// <summary>
/// One query: a fact put into one template of its relation, in one language. The text keeps <c>[Y]</c> so every
/// model kind can build its own input from it (a prefix prompt for causal LMs, masks for MLMs).
/// </summary>
/// <param name="QueryId">Stable id <c>fact_id|language|template_id</c> (see <see cref="MakeId"/>).</param>
/// <param name="FactId">The fact's id.</param>
/// <param name="Relation">Relation id.</param>
/// <param name="Language">Language code.</param>
/// <param name="TemplateId">The template's id.</param>
/// <param name="Split">
/// <see cref="TemplateSplits.OfQuery"/>: <c>heldout-language</c> for a language-held-out cell, else the template's.
/// </param>
/// <param name="Text">The template with <c>[X]</c> filled by the subject and <c>[Y]</c> kept.</param>
/// <param name="Prompt">
/// For causal LMs: the text before <c>[Y]</c>, trimmed at the end. Null when the subject comes after the object.
/// </param>
/// <param name="Object">The gold object.</param>
/// <param name="ObjectStart">Char index of <c>[Y]</c> in <see cref="Text"/>.</param>
/// <param name="SubjectFirst">True when <c>[X]</c> precedes <c>[Y]</c> in the template.</param>
public sealed record QueryRecord(
    string QueryId,
    string FactId,
    string Relation,
    string Language,
    string TemplateId,
    string Split,
    string Text,
    string? Prompt,
    string Object,
    int ObjectStart,
    bool SubjectFirst) : IQueryKeyed
{
    /// <summary>Version of this record's Parquet schema, written as <c>kn.schema_version</c>; query/2 added the
    /// subject's span.</summary>
    public const string SchemaVersion = "query/2";

    /// <summary>Char index of the subject in <see cref="Text"/> (−1 in parts older than query/2).</summary>
    public int SubjectStart { get; init; } = -1;

    /// <summary>The subject's length in chars.</summary>
    public int SubjectLength { get; init; }

    /// <summary>The query id: <c>fact_id|language|template_id</c>.</summary>
    public static string MakeId(string factId, string language, string templateId) =>
        string.Concat(factId, "|", language, "|", templateId);

    /// <summary>The language of a query id made by <see cref="MakeId"/>; null for any other id.</summary>
    public static string? LanguageOfId(string id) => id.Split('|') is [_, var language, _] ? language : null;
}
