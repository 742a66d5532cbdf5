using Parquet;
using Parquet.Schema;

namespace KnPipeline.Stages.Records;

/// <summary>
/// The schema of one record type, made of <see cref="RecordColumn{T}"/>s declared with
/// <see cref="RecordSchema.For{T}"/>. Writing shreds rows into column buffers; reading starts every row from the
/// empty record and sets one column after the other, so a record's read-back is spelled next to its getter.
/// </summary>
public sealed class RecordSchema<T> : IRecordSchema<T>
{
    private readonly T _empty;
    private readonly RecordColumn<T>[] _columns;
    private readonly string[] _olderVersions;

    internal RecordSchema(string schemaVersion, T empty, RecordColumn<T>[] columns, string[] olderVersions)
    {
        SchemaVersion = schemaVersion;
        _empty = empty;
        _columns = columns;
        _olderVersions = olderVersions;
        Schema = new ParquetSchema(columns.Select(c => c.Field).ToArray());
    }

    public string SchemaVersion { get; }

    public ParquetSchema Schema { get; }

    public IReadOnlyList<RecordColumn<T>> Columns => _columns;

    public bool Reads(string schemaVersion) => schemaVersion == SchemaVersion || _olderVersions.Contains(schemaVersion);

    public RowGroupBuffer<T> CreateBuffer() => new(_columns.Select(c => c.CreateBuffer()).ToArray());

    public async Task<T[]> ReadAsync(ParquetRowGroupReader rowGroup, CancellationToken ct)
    {
        var rows = new T[rowGroup.RowCount];
        Array.Fill(rows, _empty);
        foreach (var c in _columns)
            await c.ReadIntoAsync(rowGroup, rows, ct);
        return rows;
    }
}

/// <summary>Starts a <see cref="RecordSchema{T}"/> declaration.</summary>
public static class RecordSchema
{
    /// <param name="schemaVersion">Written to every part as <c>kn.schema_version</c>; new column, new version.</param>
    /// <param name="empty">Every row read starts as this record; columns then replace its values.</param>
    public static RecordSchemaBuilder<T> For<T>(string schemaVersion, T empty) => new(schemaVersion, empty);
}
