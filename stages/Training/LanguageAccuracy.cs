namespace KnPipeline.Stages.Training;

/// <summary>
/// Accuracy of a model in one language (docs/architecture.md, Definitions): top-1 first-token accuracy on the training
/// rephrasings and on the held-out ones (subject-first templates only), and whole-object greedy accuracy on each. Facts
/// whose object shares its first token with another object of the relation (<see
/// cref="EmbeddedBenchmark.FirstTokenCollisions"/>) are left out of all of them. <see cref="Heldout"/> also leaves out
/// guessable facts (the answer follows from the subject's name or nationality); <see cref="HeldoutAll"/> keeps them.
/// <see cref="Baseline"/> is what always answering each relation's most frequent object scores on the <see
/// cref="Heldout"/> queries. Only the
/// <c>*Alias</c> figures count an alias's first token as a hit.
/// </summary>
public sealed record LanguageAccuracy(
    double Train, double Heldout, double TrainGreedy, double HeldoutGreedy, int TrainQueries, int HeldoutQueries)
{
    public double HeldoutAll { get; init; } = double.NaN;
    public int HeldoutAllQueries { get; init; }
    public double Baseline { get; init; } = double.NaN;
    public double TrainAlias { get; init; } = double.NaN;
    public double HeldoutAlias { get; init; } = double.NaN;
    public double HeldoutAllAlias { get; init; } = double.NaN;

    /// <summary>
    /// Accuracy on the language's language-held-out cells (<see cref="CrosslingualFigures"/>), keyed as in
    /// training.json and <c>train-embedded --json</c>; empty when the benchmark holds no cell out.
    /// </summary>
    public IReadOnlyDictionary<string, double> Crosslingual { get; init; } = new Dictionary<string, double>();
}
