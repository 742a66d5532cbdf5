using Parquet.Schema;
using static KnPipeline.Stages.Records.ParquetColumns;

namespace KnPipeline.Stages.Records;

/// <summary>
/// Declares a record table one column a line: name, getter, and how the value read back is set on the record
/// (a <c>with</c> expression), e.g. <c>.String("query_id", r => r.QueryId, (r, v) => r with { QueryId = v })</c>.
/// The order of the calls is the physical column order. The Parquet types are the ones the hand-written schemas
/// had, so files written before this builder existed have the same bytes: strings are required unless declared
/// with <see cref="OptionalString"/>, values are required, and lists are nullable lists of required elements.
/// </summary>
public sealed class RecordSchemaBuilder<T>(string schemaVersion, T empty)
{
    private readonly List<RecordColumn<T>> _columns = [];
    private readonly List<string> _olderVersions = [];

    public RecordSchemaBuilder<T> String(string name, Func<T, string> get, Func<T, string, T> set)
    {
        var field = new DataField<string>(name, nullable: false);
        return Add(RecordColumn<T>.Of(field, field, () => new StringColumn<T>(field, get),
            (rg, ct) => ReadStringsAsync(rg, field, ct), set));
    }

    public RecordSchemaBuilder<T> OptionalString(string name, Func<T, string?> get, Func<T, string?, T> set)
    {
        var field = new DataField<string>(name, nullable: true);
        return Add(RecordColumn<T>.Of(field, field, () => new StringColumn<T>(field, get),
            (rg, ct) => ReadNullableStringsAsync(rg, field, ct), set));
    }

    /// <summary>A required value column: int, long, float, double, bool.</summary>
    public RecordSchemaBuilder<T> Value<TValue>(string name, Func<T, TValue> get, Func<T, TValue, T> set)
        where TValue : struct
    {
        var field = new DataField<TValue>(name);
        return Add(RecordColumn<T>.Of(field, field, () => new ValueColumn<T, TValue>(field, get),
            (rg, ct) => ReadValuesAsync<TValue>(rg, field, ct), set));
    }

    /// <summary>A list of values (int[], float[], double[], ...); an empty list stays empty, never null.</summary>
    public RecordSchemaBuilder<T> List<TElement>(string name, Func<T, IReadOnlyList<TElement>> get,
        Func<T, TElement[], T> set) where TElement : struct
    {
        var list = ParquetColumns.List<TElement>(name);
        return Add(RecordColumn<T>.Of(list, Element(list), () => new ListColumn<T, TElement>(list, get),
            (rg, ct) => ReadListsAsync<TElement>(rg, list, ct), set));
    }

    public RecordSchemaBuilder<T> StringList(string name, Func<T, IReadOnlyList<string>> get,
        Func<T, string[], T> set)
    {
        var list = ParquetColumns.List<string>(name);
        return Add(RecordColumn<T>.Of(list, Element(list),
            () => new ListColumn<T, string, ReadOnlyMemory<char>>(list, get, s => s.AsMemory()),
            (rg, ct) => ReadStringListsAsync(rg, list, ct), set));
    }

    /// <summary>
    /// Parts of an older schema version still read: the columns they lack keep the empty record's value. Only for
    /// versions that differ by added columns; a changed column needs its own reader.
    /// </summary>
    public RecordSchemaBuilder<T> AlsoReads(params string[] olderVersions)
    {
        _olderVersions.AddRange(olderVersions);
        return this;
    }

    public RecordSchema<T> Build() => new(schemaVersion, empty, _columns.ToArray(), _olderVersions.ToArray());

    /// <summary>A column declared elsewhere, e.g. one of <see cref="RecordSchema{T}.Columns"/>.</summary>
    public RecordSchemaBuilder<T> Column(RecordColumn<T> column) => Add(column);

    private RecordSchemaBuilder<T> Add(RecordColumn<T> column)
    {
        if (_columns.Any(c => c.Field.Name == column.Field.Name))
            throw new ArgumentException($"column '{column.Field.Name}' is declared twice in {schemaVersion}");
        _columns.Add(column);
        return this;
    }
}
