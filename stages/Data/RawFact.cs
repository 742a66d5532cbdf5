using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Data;

/// <summary>
/// A fact as a format reader found it, before the checks every format shares (<see cref="BenchmarkSource"/>):
/// fields are present and typed, but may be empty, duplicated, of an unknown language or of an unknown split.
/// Split is train when the format has none (only RML-LAMA's shape records it).
/// </summary>
public sealed record RawFact(
    string FactId,
    string Relation,
    string Language,
    string Subject,
    string Object,
    IReadOnlyList<string> Aliases,
    string Source,
    int Line,
    string Split = TemplateSplits.Train)
{
    /// <summary>The benchmark line's <c>guessable</c> flag (false when absent).</summary>
    public bool Guessable { get; init; }
}
