namespace KnPipeline.Stages.Data;

/// <summary>A template as a format reader found it, before the shared checks. Split is train when the format has none.</summary>
public sealed record RawTemplate(
    string Relation,
    string Language,
    string TemplateId,
    string Text,
    string Split,
    string Source,
    int Line);
