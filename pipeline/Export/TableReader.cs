using KnPipeline.Runs;
using KnPipeline.Stages.Records;

namespace KnPipeline.Export;

/// <summary>Reads every part of a run table (all languages and shards) as typed records, with each table's sort key.</summary>
public static class TableReader
{
    public sealed record Table(string Name, Func<RunFolder, IAsyncEnumerable<object>> Read, Func<object, string> Key);

    public static readonly IReadOnlyDictionary<string, Table> Tables = new Dictionary<string, Table>
    {
        ["queries"] = Make("queries", QueryRecordSchema.Instance, r => r.QueryId),
        ["tokenized"] = Make("tokenized", TokenizedQueryRecordSchema.Instance, r => r.QueryId),
        ["attributions"] = Make("attributions", AttributionRecordSchema.Instance, r => r.QueryId),
        ["kn_sets"] = Make("kn_sets", KnSetRecordSchema.Instance, r => r.QueryId),
        ["quarantine"] = Make("quarantine", QuarantineRecordSchema.Instance, r => $"{r.Source}\u0000{r.Line:D9}\u0000{r.RecordId}\u0000{r.Reason}\u0000{r.Stage}"),
    };

    private static Table Make<T>(string name, IRecordSchema<T> schema, Func<T, string> key) where T : notnull =>
        new(name, run => ReadAll(run, name, schema), o => key((T)o));

    private static async IAsyncEnumerable<object> ReadAll<T>(RunFolder run, string table, IRecordSchema<T> schema) where T : notnull
    {
        foreach (var part in run.Parts(table))
            await foreach (var r in PartReader.ReadAsync(part, schema))
                yield return r;
    }

    public static async Task<long> CountAsync(RunFolder run, string table)
    {
        long n = 0;
        foreach (var part in run.Parts(table))
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
