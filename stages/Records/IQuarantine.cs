namespace KnPipeline.Stages.Records;

/// <summary>
/// Where stages put bad input instead of throwing. Implementations must be safe to call from several threads,
/// because the tokenization stage runs with more than one worker.
/// </summary>
public interface IQuarantine
{
    void Add(QuarantineRecord record);
}
