using System.Buffers;
using System.Runtime.CompilerServices;

namespace KnPipeline.Stages.Records;

/// <summary>
/// An append-only array rented from a private pool and reused across row groups: after the first row group a
/// column allocates nothing. Not thread-safe (one writer owns it).
/// </summary>
public sealed class GrowableArray<T> : IDisposable
{
    // Private, not ArrayPool.Shared: the shared pool caches per thread and per core, and async writes resume on
    // varying threads, so several multi-MB arrays stayed alive there.
    private static readonly ArrayPool<T> Pool = ArrayPool<T>.Create(1 << 26, 8);
    private T[] _items;

    public GrowableArray(int initialCapacity = 1024) => _items = Pool.Rent(Math.Max(16, initialCapacity));

    public int Count { get; private set; }

    public Memory<T> Memory => _items.AsMemory(0, Count);

    public void Add(T item)
    {
        if (Count == _items.Length)
            Grow();
        _items[Count++] = item;
    }

    public void Clear()
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            Array.Clear(_items, 0, Count);
        Count = 0;
    }

    public void Dispose()
    {
        Clear();
        Pool.Return(_items);
        _items = [];
    }

    private void Grow()
    {
        var bigger = Pool.Rent(_items.Length * 2);
        Array.Copy(_items, bigger, Count);
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            Array.Clear(_items, 0, Count);
        Pool.Return(_items);
        _items = bigger;
    }
}
