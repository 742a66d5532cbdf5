namespace KnPipeline.Stages.Records;

/// <summary>
/// Counted skips: records left out on purpose, not because they are bad (e.g. <c>subject_after_object</c> templates
/// for causal LMs, <c>not_parallel</c> facts). Unlike quarantine, nothing is kept but the count. Thread-safe.
/// </summary>
public sealed class ReasonCounter
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Add(string reason, long count = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        lock (_gate)
            _counts[reason] = _counts.GetValueOrDefault(reason) + count;
    }

    /// <summary>The count of one reason (0 when never seen).</summary>
    public long this[string reason]
    {
        get
        {
            lock (_gate)
                return _counts.GetValueOrDefault(reason);
        }
    }

    /// <summary>A snapshot sorted by reason.</summary>
    public SortedDictionary<string, long> Snapshot()
    {
        lock (_gate)
            return new SortedDictionary<string, long>(_counts, StringComparer.Ordinal);
    }
}
