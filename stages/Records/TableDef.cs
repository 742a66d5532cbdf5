namespace KnPipeline.Stages.Records;

/// <summary>
/// One table of a run folder: its name (the folder), record type and schema, the column its parts are partitioned
/// by, and the key its records are sorted by, both inside a part and in an export, so a table's bytes and its
/// export depend only on the work. Declared once in <see cref="TableRegistry"/>; the writer, <c>export</c> and the
/// report find tables there and handle them through this untyped view.
/// </summary>
public abstract class TableDef(string name, string partitionColumn)
{
    /// <summary>The table's folder in the run, and its name in <c>export</c>.</summary>
    public string Name { get; } = name;

    /// <summary>The column parts are partitioned by: they live under <c>&lt;column&gt;=&lt;value&gt;/</c>.</summary>
    public string PartitionColumn { get; } = partitionColumn;

    public abstract Type RecordType { get; }

    public abstract string SchemaVersion { get; }

    /// <summary>The record's partition value (a folder name).</summary>
    public abstract string PartitionOf(object record);

    /// <summary>The sort key; records compare by it ordinally.</summary>
    public abstract string SortKeyOf(object record);

    /// <summary>The records of one part file, in file order.</summary>
    public abstract IAsyncEnumerable<object> ReadAsync(string partPath, CancellationToken ct = default);

    /// <summary>Writes the records as one part file sorted by key (crash-safe: <see cref="PartWriter{T}"/>).</summary>
    public abstract Task WritePartAsync(string path, IEnumerable<object> records, PartMetadata metadata,
        int rowGroupRows, CancellationToken ct = default);

    /// <summary>The records grouped by partition value, groups in ordinal order of the value.</summary>
    public IEnumerable<IGrouping<string, object>> Partitions(IEnumerable<object> records) =>
        records.GroupBy(PartitionOf).OrderBy(g => g.Key, StringComparer.Ordinal);

    public override string ToString() => Name;
}

/// <summary>A table of records of type <typeparamref name="T"/>.</summary>
/// <param name="partition">The partition value of a record; the run folder partitions every table by language.</param>
public sealed class TableDef<T>(string name, IRecordSchema<T> schema, Func<T, string> partition,
    Func<T, string> sortKey, string partitionColumn = "language") : TableDef(name, partitionColumn) where T : class
{
    public IRecordSchema<T> Schema { get; } = schema;

    public override Type RecordType => typeof(T);

    public override string SchemaVersion => Schema.SchemaVersion;

    public string PartitionOf(T record) => partition(record);

    public string SortKeyOf(T record) => sortKey(record);

    public override string PartitionOf(object record) => partition((T)record);

    public override string SortKeyOf(object record) => sortKey((T)record);

    /// <summary>Rows of this table, as a chunk hands them to the writer.</summary>
    public TableRows Rows(IReadOnlyList<T> rows) => new(this, rows);

    public override async IAsyncEnumerable<object> ReadAsync(string partPath,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var r in PartReader.ReadAsync(partPath, Schema, ct))
            yield return r;
    }

    public override async Task WritePartAsync(string path, IEnumerable<object> records, PartMetadata metadata,
        int rowGroupRows, CancellationToken ct = default)
    {
        await using var w = await PartWriter<T>.CreateAsync(path, Schema, metadata, rowGroupRows, ct);
        // OrderBy is stable: records with equal keys keep the order they were produced in.
        foreach (var r in records.Cast<T>().OrderBy(sortKey, StringComparer.Ordinal))
            await w.WriteAsync(r, ct);
        await w.CompleteAsync(ct);
    }
}

/// <summary>The records one piece of work produced for one table.</summary>
public sealed record TableRows(TableDef Table, IReadOnlyList<object> Rows);
