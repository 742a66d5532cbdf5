using Parquet;
using Parquet.Schema;

namespace KnPipeline.Stages.Records;

/// <summary>
/// The explicit Parquet schema of one record type and the columnar code that writes and reads a row group of it.
/// <see cref="PartWriter{T}"/> and <see cref="PartReader"/> use it; <see cref="RecordSchema{T}"/> implements it
/// from one declaration per column.
/// </summary>
public interface IRecordSchema<T>
{
    /// <summary>Written to every file as <c>kn.schema_version</c>, e.g. <c>fact/1</c>; a new column, a new
    /// version.</summary>
    string SchemaVersion { get; }

    ParquetSchema Schema { get; }

    /// <summary>True when parts of this <c>kn.schema_version</c> can be read with this schema.</summary>
    bool Reads(string schemaVersion) => schemaVersion == SchemaVersion;

    /// <summary>A new buffer of this schema's columns, in schema order, for a writer to fill row by row.</summary>
    RowGroupBuffer<T> CreateBuffer();

    /// <summary>Reads one whole row group back into records.</summary>
    Task<T[]> ReadAsync(ParquetRowGroupReader rowGroup, CancellationToken ct);
}
