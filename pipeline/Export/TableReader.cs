using KnPipeline.Runs;
using KnPipeline.Stages.Records;

namespace KnPipeline.Export;

/// <summary>Reads every part of a run table (all partitions and shards) as records, for export and the report.
/// </summary>
public static class TableReader
{
    /// <summary>The table's records, part after part in the run folder's stable order.</summary>
    public static async IAsyncEnumerable<object> ReadAll(RunFolder run, TableDef table)
    {
        foreach (var part in run.Parts(table.Name))
            await foreach (var r in table.ReadAsync(part))
                yield return r;
    }

    /// <summary>The table's records sorted by its key, the order <c>export</c> prints them in.</summary>
    public static async Task<List<object>> ReadSortedAsync(RunFolder run, TableDef table)
    {
        var rows = new List<object>();
        await foreach (var r in ReadAll(run, table))
            rows.Add(r);
        // Stable, so records with equal keys keep the parts' order.
        return rows.OrderBy(table.SortKeyOf, StringComparer.Ordinal).ToList();
    }

    /// <summary>Row count from the part footers, without reading a value.</summary>
    public static async Task<long> CountAsync(RunFolder run, TableDef table)
    {
        long n = 0;
        foreach (var part in run.Parts(table.Name))
        {
            await using var r = await Parquet.ParquetReader.CreateAsync(part);
            for (int i = 0; i < r.RowGroupCount; i++)
            {
                using var g = r.OpenRowGroupReader(i);
                n += g.RowCount;
            }
        }
        return n;
    }
}
