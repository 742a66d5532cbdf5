namespace KnPipeline.Stages.Attribution;

/// <summary>
/// Packs work items into device batches up to a row budget (and optionally a token budget), in input order, so a
/// batch is a deterministic function of the work. When the device runs out of memory, <see cref="RunWithOomRetry{T,R}"/>
/// halves the batch and the budget instead of failing.
/// </summary>
public sealed class BatchPacker
{
    private int _rowBudget;
    private readonly int _tokenBudget;

    /// <param name="rowBudget">Most device rows per batch (an item costing more still forms a batch of its own).</param>
    /// <param name="tokenBudget">Most rows × tokens per batch; 0 for no token budget.</param>
    public BatchPacker(int rowBudget, int tokenBudget = 0)
    {
        if (rowBudget < 1)
            throw new ArgumentOutOfRangeException(nameof(rowBudget), "the row budget must be at least 1");
        _rowBudget = rowBudget;
        _tokenBudget = tokenBudget;
    }

    public int RowBudget => _rowBudget;

    /// <summary>How many times the budget was halved after running out of memory.</summary>
    public int Halvings { get; private set; }

    public IEnumerable<List<T>> Pack<T>(IEnumerable<T> items, Func<T, int> rows, Func<T, int> tokens)
    {
        var batch = new List<T>();
        long batchRows = 0, batchTokens = 0;
        foreach (var item in items)
        {
            int r = rows(item);
            long t = (long)r * tokens(item);
            bool overRows = batchRows + r > _rowBudget;
            bool overTokens = _tokenBudget > 0 && batchTokens + t > _tokenBudget;
            if (batch.Count > 0 && (overRows || overTokens))
            {
                yield return batch;
                batch = new List<T>();
                batchRows = batchTokens = 0;
            }
            batch.Add(item);
            batchRows += r;
            batchTokens += t;
        }
        if (batch.Count > 0)
            yield return batch;
    }

    /// <summary>
    /// Runs <paramref name="run"/> on the batch; on out-of-memory, halves the budget and runs the two halves
    /// separately (recursively), down to single items, whose failure is rethrown.
    /// </summary>
    public List<R> RunWithOomRetry<T, R>(IReadOnlyList<T> batch, Func<IReadOnlyList<T>, IReadOnlyList<R>> run)
    {
        try
        {
            return run(batch).ToList();
        }
        catch (Exception e) when (IsOutOfMemory(e) && batch.Count > 1)
        {
            _rowBudget = Math.Max(1, _rowBudget / 2);
            Halvings++;
            GC.Collect();
            int half = batch.Count / 2;
            var result = RunWithOomRetry(batch.Take(half).ToList(), run);
            result.AddRange(RunWithOomRetry(batch.Skip(half).ToList(), run));
            return result;
        }
    }

    /// <summary>libtorch reports CPU and CUDA allocation failures as exceptions whose text says so.</summary>
    public static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException ||
        e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase) ||
        e.Message.Contains("DefaultCPUAllocator: can't allocate memory", StringComparison.Ordinal) ||
        e.Message.Contains("bad_alloc", StringComparison.Ordinal);
}
