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
/// at::set_num_threads sets the OpenMP and MKL thread counts of the calling thread (and the default that new threads
/// start from), so each worker sets 1 for itself and the caller's default is restored afterwards.
/// </summary>
internal static class CpuWorkers
{
    public static List<R> Map<T, R>(IReadOnlyList<T> items, int workers, Func<int, IReadOnlyList<T>, List<R>> run)
    {
        workers = Math.Clamp(workers, 1, Math.Max(1, items.Count));
        if (workers == 1)
            return run(0, items);
        int callerThreads = get_num_threads();
        var slices = new List<T>[workers];
        for (int w = 0, start = 0; w < workers; w++)
        {
            int size = items.Count / workers + (w < items.Count % workers ? 1 : 0);
            slices[w] = items.Skip(start).Take(size).ToList();
            start += size;
        }
        var results = new List<R>?[workers];
        var errors = new Exception?[workers];
        var threads = new Thread[workers];
        for (int w = 0; w < workers; w++)
        {
            int id = w;
            threads[w] = new Thread(() =>
            {
                try
                {
                    set_num_threads(1);
                    using var scope = NewDisposeScope();
                    results[id] = run(id, slices[id]);
                }
                catch (Exception e)
                {
                    errors[id] = e;
                }
            }) { IsBackground = true, Name = $"ig-worker-{id}" };
            threads[w].Start();
        }
        foreach (var t in threads)
            t.Join();
        // Threads that touch libtorch later start from the default the workers overwrote.
        set_num_threads(callerThreads);
        if (errors.FirstOrDefault(e => e is not null) is { } error)
            ExceptionDispatchInfo.Capture(error).Throw();
        return results.SelectMany(r => r!).ToList();
    }
}
