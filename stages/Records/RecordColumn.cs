using Parquet;
using Parquet.Schema;

namespace KnPipeline.Stages.Records;

/// <summary>
/// One column of a record table, declared once: its Parquet field, how a row is shredded into it when writing, and
/// how a value read back is set on the row. Built by <see cref="RecordSchemaBuilder{T}"/>.
/// </summary>
public sealed class RecordColumn<T>
{
    private readonly Func<IColumnBuffer<T>> _buffer;
    private readonly Func<ParquetRowGroupReader, CancellationToken, Task<Action<T[]>>> _read;

    internal RecordColumn(Field field, DataField leaf, Func<IColumnBuffer<T>> buffer,
        Func<ParquetRowGroupReader, CancellationToken, Task<Action<T[]>>> read)
    {
        Field = field;
        Leaf = leaf;
        _buffer = buffer;
        _read = read;
    }

    /// <summary>The field as it stands in the schema (a <see cref="ListField"/> for lists).</summary>
    public Field Field { get; }

    /// <summary>The field that holds the values (the list's element for lists).</summary>
    public DataField Leaf { get; }

    public IColumnBuffer<T> CreateBuffer() => _buffer();

    /// <summary>
    /// Reads this column of the row group and sets it on every row. A column the file does not have (a part written
    /// under an older schema version that lacked it) leaves the rows as they are: the schema's empty record's value.
    /// </summary>
    public async Task ReadIntoAsync(ParquetRowGroupReader rowGroup, T[] rows, CancellationToken ct)
    {
        if (rowGroup.GetMetadata(Leaf) is null)
            return;
        var set = await _read(rowGroup, ct);
        set(rows);
    }

    internal static RecordColumn<T> Of<TValue>(Field field, DataField leaf, Func<IColumnBuffer<T>> buffer,
        Func<ParquetRowGroupReader, CancellationToken, Task<TValue[]>> read, Func<T, TValue, T> set) =>
        new(field, leaf, buffer, async (rg, ct) =>
        {
            var values = await read(rg, ct);
            return rows =>
            {
                for (int i = 0; i < rows.Length; i++)
                    rows[i] = set(rows[i], values[i]);
            };
        });
}
