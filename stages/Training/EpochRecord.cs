namespace KnPipeline.Stages.Training;

/// <summary>
/// One early-stopping check in training.json: how far training was (in epochs, e.g. 2.5), steps so far, the current
/// epoch's mean loss so far, seconds so far, training first-token accuracy per language (on the sample, or on all
/// training prompts when <paramref name="AllPrompts"/>).
/// </summary>
public sealed record EpochRecord(double Epoch, int Steps, double Loss, double Seconds,
                                 IReadOnlyDictionary<string, double> TrainAccuracy, bool AllPrompts);
