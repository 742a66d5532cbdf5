using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Attribution;

/// <summary>
/// Runs contiguous slices of independent work on dedicated threads, one libtorch intra-op thread each, and returns
/// the results in input order. On a CPU the fast IG algorithm is a chain of many medium-sized ops (per layer a few
/// GEMMs of a few hundred rows and their element-wise neighbours); with intra-op threads every one of them ends in a
/// barrier, and on a shared machine a barrier waits for a descheduled thread. Independent batches on single-threaded
/// workers never wait for each other. Measured on the GPT-2-small bench with other processes on the 2 cores:
/// 2 workers × 1 thread 0.82 queries/s (67 GFLOP per CPU-second) against 0.32 (40) for 1 batch × 2 threads.
/// <para>
/// The threads live as long as the pool. glibc gives each thread a malloc arena of its own and, with the trim
/// threshold <see cref="Models.Core.MallocTuning"/> sets, an arena keeps its high-water mark. Fresh threads per batch
/// picked up whichever free arena came first, so every arena grew to the largest slice any worker ever had: the
/// memory bench's peak wandered between 295 and 360 MB for the same work. One thread per arena for the whole run
/// keeps the peak a function of the work.
/// </para>
/// at::set_num_threads is partly process-wide (MKL's count, the default that new threads start from), so the workers
/// set their count at the start of every job and the caller's count is restored only after all of them have finished: restoring
/// it while they ran gave them multi-threaded GEMMs again (two workers × two threads on two cores: 86 instead of 112
/// queries/s on the default run, and different float results).
/// </summary>
internal sealed class CpuWorkers : IDisposable
{
    private readonly BlockingCollection<Action>[] _queues;
    private readonly Thread[] _threads;
    private bool _disposed;

    public CpuWorkers(int workers)
    {
        if (workers < 1)
            throw new ArgumentOutOfRangeException(nameof(workers), "a pool needs at least 1 worker");
        _queues = Enumerable.Range(0, workers).Select(_ => new BlockingCollection<Action>()).ToArray();
        _threads = new Thread[workers];
        for (int w = 0; w < workers; w++)
        {
            var queue = _queues[w];
            _threads[w] = new Thread(() =>
            {
                foreach (var job in queue.GetConsumingEnumerable())
                    job();
            }) { IsBackground = true, Name = $"ig-worker-{w}" };
            _threads[w].Start();
        }
    }

    public int Count => _threads.Length;

    /// <summary>
    /// Splits <paramref name="items"/> into one contiguous slice per worker (fewer when there are fewer items), runs
    /// <paramref name="run"/>(worker, slice) on each with <paramref name="threadsEach"/> libtorch threads, and
    /// concatenates the results in input order. The first error of
    /// any worker is rethrown on the caller with its original stack.
    /// </summary>
    public List<R> Map<T, R>(IReadOnlyList<T> items, Func<int, IReadOnlyList<T>, List<R>> run, int threadsEach = 1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int workers = Math.Clamp(items.Count, 1, Count);
        int callerThreads = get_num_threads();
        var results = new List<R>?[workers];
        var errors = new Exception?[workers];
        using var done = new CountdownEvent(workers);
        for (int w = 0, start = 0; w < workers; w++)
        {
            int id = w, size = items.Count / workers + (w < items.Count % workers ? 1 : 0);
            var slice = items.Skip(start).Take(size).ToList();
            start += size;
            _queues[w].Add(() =>
            {
                try
                {
                    set_num_threads(threadsEach);
                    using var scope = NewDisposeScope();
                    results[id] = run(id, slice);
                }
                catch (Exception e)
                {
                    errors[id] = e;
                }
                finally
                {
                    done.Signal();
                }
            });
        }
        done.Wait();
        // Threads that touch libtorch later start from the count the workers overwrote.
        set_num_threads(callerThreads);
        if (errors.FirstOrDefault(e => e is not null) is { } error)
            ExceptionDispatchInfo.Capture(error).Throw();
        return results.SelectMany(r => r!).ToList();
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var q in _queues)
            q.CompleteAdding();
        foreach (var t in _threads)
            t.Join();
        foreach (var q in _queues)
            q.Dispose();
    }
}
