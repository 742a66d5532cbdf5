using System.Collections.Concurrent;

namespace KnPipeline.Graph;

/// <summary>
/// Runs every task on one dedicated thread. The device stage uses it because TorchSharp's dispose scopes and grad
/// mode are thread-local and libtorch's intra-op pool is global: one thread keeps that state stable and never shares
/// the device between threads (docs/architecture.md, Library notes).
/// </summary>
public sealed class SingleThreadScheduler : TaskScheduler, IDisposable
{
    // Bounded by the Dataflow block's own capacity; the collection only hands tasks to the thread.
    private readonly BlockingCollection<Task> _tasks = new();
    private readonly Thread _thread;

    public SingleThreadScheduler(string name)
    {
        _thread = new Thread(() =>
        {
            foreach (var t in _tasks.GetConsumingEnumerable())
                TryExecuteTask(t);
        }) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public override int MaximumConcurrencyLevel => 1;

    protected override void QueueTask(Task task) => _tasks.Add(task);

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        Thread.CurrentThread == _thread && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _tasks.ToArray();

    public void Dispose()
    {
        _tasks.CompleteAdding();
        // The device thread finishes the batch it is computing: libtorch must never be torn down under it.
        _thread.Join();
        _tasks.Dispose();
    }
}
