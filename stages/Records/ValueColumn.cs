using Parquet;
using Parquet.Schema;

namespace KnPipeline.Stages.Records;

/// <summary>A required column of a value type (int, bool, float, ...).</summary>
public sealed class ValueColumn<T, TValue>(DataField field, Func<T, TValue> get) : IColumnBuffer<T>
    where TValue : struct
{
    private readonly GrowableArray<TValue> _values = new();

    public void Add(T row) => _values.Add(get(row));

    public Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken ct) =>
        rowGroup.WriteAsync<TValue>(field, _values.Memory, null, null, ct);

    public void Clear() => _values.Clear();

    public void Dispose() => _values.Dispose();
}
