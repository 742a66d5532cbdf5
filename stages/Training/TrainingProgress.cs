namespace KnPipeline.Stages.Training;

/// <summary>
/// A training progress report: optimiser steps done of the planned total (early stopping can end sooner), the
/// epoch, the running loss, and free-form status lines (<see cref="Message"/>) such as per-epoch accuracies.
/// </summary>
public sealed record TrainingProgress(
    int Epoch, int MaxEpochs, int Step, int TotalSteps, double Loss, TimeSpan Elapsed, string? Message = null)
{
    /// <summary>Time left if every planned step is run, from the mean step time so far.</summary>
    public TimeSpan? Eta => Step > 0 && TotalSteps >= Step
        ? TimeSpan.FromTicks(Elapsed.Ticks / Step * (TotalSteps - Step)) : null;
}
