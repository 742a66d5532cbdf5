namespace KnPipeline.Stages.Training;

/// <summary>What a training run did: epochs begun, epochs run (fractional when it stopped mid-epoch), steps, ….</summary>
public sealed record TrainingStats(int Epochs, double EpochsRun, int Steps, double FinalLoss, double Seconds, bool ReachedTarget,
                                   IReadOnlyList<EpochRecord> Log);
