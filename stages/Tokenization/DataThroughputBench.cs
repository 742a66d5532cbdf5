using System.Diagnostics;
using KnPipeline.Stages.Data;
using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Tokenization;

/// <summary>
/// Measures the data side of the pipeline: <see cref="SyntheticBenchmark"/> facts are expanded into queries,
/// tokenized and written as <see cref="TokenizedQueryRecord"/>s to one Parquet part, all streaming, so memory is
/// bounded by one row group whatever the query count. The tokenizer is <see cref="HashingTokenizer"/> (no model
/// files needed); a real BPE/WordPiece tokenizer costs more per query.
/// </summary>
public static class DataThroughputBench
{
    public const string ModelId = "bench/hashing";

    /// <param name="queries">How many tokenized queries to write.</param>
    /// <param name="kind">Causal (prompt prefix) or masked (mask tokens).</param>
    /// <param name="partPath">The part file to write; it must not exist.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<DataBenchResult> RunAsync(long queries, ModelKind kind, string partPath,
        CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queries, 1);
        var synthetic = new SyntheticBenchmark();
        var tokenizer = new HashingTokenizer(masked: kind == ModelKind.Masked);
        var expander = new QueryExpander(new QueryExpansionOptions { ModelKind = kind });
        var quarantine = new QuarantineLog(capacity: 1000);
        var queryTokenizer = new QueryTokenizer(tokenizer, ModelId, kind,
            code => synthetic.Languages.First(l => l.Code == code).Spaces);
        var stopwatch = Stopwatch.StartNew();
        long written = 0;
        int rowGroups;
        await using (var writer = await PartWriter<TokenizedQueryRecord>.CreateAsync(partPath,
                         TokenizedQueryRecordSchema.Instance, new PartMetadata(""), ct: ct))
        {
            var stream = queryTokenizer.TokenizeAll(expander.Expand(synthetic.Facts(), synthetic.TemplatesFor),
                quarantine);
            foreach (var record in stream)
            {
                await writer.WriteAsync(record, ct);
                if (++written == queries)
                    break;
            }
            await writer.CompleteAsync(ct);
            rowGroups = writer.RowGroupsWritten;
        }
        stopwatch.Stop();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return new DataBenchResult(written, stopwatch.Elapsed.TotalSeconds, process.PeakWorkingSet64 / (1024.0 * 1024.0),
            new FileInfo(partPath).Length, rowGroups, tokenizer.Kind);
    }
}
