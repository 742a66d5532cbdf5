namespace KnPipeline.Stages.Training;

/// <summary>
/// One training sentence: token ids (ending in EOS), where the object's tokens are (length 0 for filler), and the
/// positions of the prompt's template tokens that prompt noise may replace (never subject or object tokens).
/// </summary>
public sealed record TrainingRow(string Language, int[] Ids, int ObjectStart, int ObjectLength)
{
    public int[] TemplatePositions { get; init; } = [];

    /// <summary>Code-switched variants of the sentence (its subject named in other languages), presented instead of
    /// it at the code-switch rate.</summary>
    public IReadOnlyList<TrainingRow> Variants { get; init; } = [];
}
