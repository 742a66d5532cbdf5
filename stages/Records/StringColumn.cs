using Parquet;
using Parquet.Schema;

namespace KnPipeline.Stages.Records;

/// <summary>A string column (required or nullable, as the field says).</summary>
public sealed class StringColumn<T>(DataField field, Func<T, string?> get) : IColumnBuffer<T>
{
    private readonly GrowableArray<string?> _values = new();

    public void Add(T row) => _values.Add(get(row));

    public Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken ct) =>
        rowGroup.WriteAsync(field, new ReadOnlyCollectionOfMemory(_values.Memory));

    public void Clear() => _values.Clear();

    public void Dispose() => _values.Dispose();

    // The library's string overload takes IReadOnlyCollection<string?>; this exposes the buffer without copying.
    private sealed class ReadOnlyCollectionOfMemory(Memory<string?> items) : IReadOnlyCollection<string?>
    {
        public int Count => items.Length;

        public IEnumerator<string?> GetEnumerator()
        {
            for (int i = 0; i < items.Length; i++)
                yield return items.Span[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
