namespace KnPipeline.Stages.Records;

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
