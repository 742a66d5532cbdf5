using Parquet;

namespace KnPipeline.Stages.Records;

/// <summary>
/// One column of a row group being filled: rows are shredded into it as they arrive, so a buffered row group is a
/// few flat arrays instead of a list of record objects. That keeps the data that survives garbage collections
/// small, which in turn keeps the GC's allocation budget (and the working set) small.
/// </summary>
public interface IColumnBuffer<in T> : IDisposable
{
    void Add(T row);

    /// <summary>Writes the buffered values as this column of the row group.</summary>
    Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken ct);

    /// <summary>Forgets the buffered values, keeping the storage for the next row group.</summary>
    void Clear();
}
