namespace KnPipeline.Stages.Training;

/// <summary>
/// Accuracy of a model in one language (docs/architecture.md, Definitions): top-1 first-token accuracy on the training
/// rephrasings and on the held-out ones (subject-first templates only), and whole-object greedy accuracy on each.
/// </summary>
public sealed record LanguageAccuracy(
    double Train, double Heldout, double TrainGreedy, double HeldoutGreedy, int TrainQueries, int HeldoutQueries);
