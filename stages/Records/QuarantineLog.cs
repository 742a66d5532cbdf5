namespace KnPipeline.Stages.Records;

/// <summary>
/// An in-memory quarantine: counts every record by reason, and keeps the records themselves up to
/// <see cref="Capacity"/> so a corrupt benchmark of millions of lines cannot exhaust memory. The run store drains
/// <see cref="Records"/> into quarantine part files; the counts stay exact either way.
/// </summary>
public sealed class QuarantineLog : IQuarantine
{
    // One lock for both collections: records arrive rarely (bad input), so contention is not a concern, and the
    // counts and the kept list must agree.
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly List<QuarantineRecord> _records = [];
    private long _dropped;

    /// <param name="capacity">How many records to keep; 0 keeps none (counts only).</param>
    public QuarantineLog(int capacity = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
    }

    /// <summary>The most records kept in <see cref="Records"/>.</summary>
    public int Capacity { get; }

    /// <summary>Total records added, kept or not.</summary>
    public long Total
    {
        get
        {
            lock (_gate)
                return _records.Count + _dropped;
        }
    }

    /// <summary>Records added beyond <see cref="Capacity"/> (counted, not kept).</summary>
    public long Dropped
    {
        get
        {
            lock (_gate)
                return _dropped;
        }
    }

    public void Add(QuarantineRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            _counts[record.Reason] = _counts.GetValueOrDefault(record.Reason) + 1;
            if (_records.Count < Capacity)
                _records.Add(record);
            else
                _dropped++;
        }
    }

    /// <summary>A snapshot of the count per reason, sorted by reason.</summary>
    public SortedDictionary<string, long> CountsByReason()
    {
        lock (_gate)
            return new SortedDictionary<string, long>(_counts, StringComparer.Ordinal);
    }

    /// <summary>The count of one reason (0 when never seen).</summary>
    public long Count(string reason)
    {
        lock (_gate)
            return _counts.GetValueOrDefault(reason);
    }

    /// <summary>A snapshot of the kept records, in arrival order.</summary>
    public IReadOnlyList<QuarantineRecord> Records
    {
        get
        {
            lock (_gate)
                return _records.ToArray();
        }
    }
}
