namespace KnPipeline.Stages.Data;

/// <summary>
/// A fact as a format reader found it, before the checks every format shares (<see cref="BenchmarkSource"/>):
/// fields are present and typed, but may be empty, duplicated or of an unknown language.
/// </summary>
public sealed record RawFact(
    string FactId,
    string Relation,
    string Language,
    string Subject,
    string Object,
    IReadOnlyList<string> Aliases,
    string Source,
    int Line);
