using Parquet;
using Parquet.Schema;

namespace KnPipeline.Stages.Records;

/// <summary>
/// Column read helpers over Parquet.Net 6.1's low-level API (writing is done by <see cref="IColumnBuffer{T}"/>s).
/// Lists are read with <c>ReadRawAsync</c>, because the 6.1 nullable read helpers size their definition-level
/// buffers by row count, which is wrong for repeated columns. List layout (a nullable list of required elements):
/// definition level 2 = an element, 1 = an empty list; repetition level 0 starts a row, 1 continues it.
/// </summary>
public static class ParquetColumns
{
    /// <summary>A list column of required elements, e.g. <c>list&lt;int&gt;</c>.</summary>
    public static ListField List<TElement>(string name) => new(name, new DataField<TElement>("element", nullable: false));

    /// <summary>The element field of a list made by <see cref="List{TElement}"/>.</summary>
    public static DataField Element(ListField list) => (DataField)list.Item;

    public static async Task<string[]> ReadStringsAsync(ParquetRowGroupReader rg, DataField field, CancellationToken ct)
    {
        var values = new string?[rg.RowCount];
        await rg.ReadAsync(field, values.AsMemory(), null, ct);
        // Required columns never hold null; nullable ones are read through ReadNullableStringsAsync.
        return values.Select(v => v ?? "").ToArray();
    }

    public static async Task<string?[]> ReadNullableStringsAsync(ParquetRowGroupReader rg, DataField field,
        CancellationToken ct)
    {
        var values = new string?[rg.RowCount];
        await rg.ReadAsync(field, values.AsMemory(), null, ct);
        return values;
    }

    public static async Task<TValue[]> ReadValuesAsync<TValue>(ParquetRowGroupReader rg, DataField field,
        CancellationToken ct) where TValue : struct
    {
        var values = new TValue[rg.RowCount];
        await rg.ReadAsync<TValue>(field, values.AsMemory(), null, ct);
        return values;
    }

    public static async Task<int[][]> ReadIntListsAsync(ParquetRowGroupReader rg, ListField list, CancellationToken ct)
    {
        var (values, defs, reps) = await ReadRawAsync<int>(rg, Element(list), ct);
        return Assemble(rg.RowCount, values, defs, reps, v => v, Element(list).MaxDefinitionLevel)
            .Select(l => l.ToArray()).ToArray();
    }

    public static async Task<TValue[][]> ReadListsAsync<TValue>(ParquetRowGroupReader rg, ListField list, CancellationToken ct)
        where TValue : struct
    {
        var (values, defs, reps) = await ReadRawAsync<TValue>(rg, Element(list), ct);
        return Assemble(rg.RowCount, values, defs, reps, v => v, Element(list).MaxDefinitionLevel)
            .Select(l => l.ToArray()).ToArray();
    }

    public static async Task<string[][]> ReadStringListsAsync(ParquetRowGroupReader rg, ListField list,
        CancellationToken ct)
    {
        var (values, defs, reps) = await ReadRawAsync<ReadOnlyMemory<char>>(rg, Element(list), ct);
        return Assemble(rg.RowCount, values, defs, reps, v => v.ToString(), Element(list).MaxDefinitionLevel)
            .Select(l => l.ToArray()).ToArray();
    }

    private static async Task<(TValue[] Values, int[] Defs, int[] Reps)> ReadRawAsync<TValue>(
        ParquetRowGroupReader rg, DataField field, CancellationToken ct) where TValue : struct
    {
        long numValues = rg.GetMetadata(field)?.MetaData?.NumValues
                         ?? throw new InvalidDataException($"column '{field.Path}' is missing from the row group");
        var values = new TValue[numValues];
        var defs = new int[numValues];
        var reps = new int[numValues];
        await rg.ReadRawAsync<TValue>(field, values, defs, reps, ct);
        return (values, defs, reps);
    }

    private static List<TOut>[] Assemble<TIn, TOut>(long rowCount, TIn[] values, int[] defs, int[] reps,
        Func<TIn, TOut> convert, int maxDef)
    {
        var rows = new List<TOut>[rowCount];
        int row = -1, vi = 0;
        for (int i = 0; i < defs.Length; i++)
        {
            if (reps[i] == 0)
                rows[++row] = [];
            if (defs[i] == maxDef)
                rows[row].Add(convert(values[vi++]));
        }
        if (row != rowCount - 1)
            throw new InvalidDataException($"list column has {row + 1} rows, the row group {rowCount}");
        return rows;
    }
}
