using Parquet;

namespace KnPipeline.Stages.Records;

/// <summary>The columns of one record type, filled row by row and written as one row group, in schema order.</summary>
public sealed class RowGroupBuffer<T>(params IColumnBuffer<T>[] columns) : IDisposable
{
    public int Count { get; private set; }

    public void Add(T row)
    {
        foreach (var c in columns)
            c.Add(row);
        Count++;
    }

    public async Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken ct)
    {
        foreach (var c in columns)
            await c.WriteAsync(rowGroup, ct);
    }

    public void Clear()
    {
        foreach (var c in columns)
            c.Clear();
        Count = 0;
    }

    public void Dispose()
    {
        foreach (var c in columns)
            c.Dispose();
    }
}
