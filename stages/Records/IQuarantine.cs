namespace KnPipeline.Stages.Records;

/// <summary>
/// Where stages put bad input instead of throwing. Implementations must be safe to call from several threads,
/// because the tokenization stage runs with more than one worker.
/// </summary>
public interface IQuarantine
{
    void Add(QuarantineRecord record);
}

/// <summary>A quarantine that drops everything; for a second pass over input already reported once.</summary>
public sealed class NullQuarantine : IQuarantine
{
    public static readonly NullQuarantine Instance = new();

    private NullQuarantine()
    {
    }

    public void Add(QuarantineRecord record)
    {
    }
}
