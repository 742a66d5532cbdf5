using KnPipeline.Stages.Records;

namespace KnPipeline.Runs;

/// <summary>
/// Bad input found while reading the benchmark, as one quarantine part. Every shard reads the whole benchmark, so
/// shard 0 alone writes it, once, and a sharded run exports the same quarantine as a single one.
/// </summary>
public static class LoadQuarantinePart
{
    public static async Task WriteAsync(RunFolder run, ShardSpec shard, QuarantineLog q, PartMetadata metadata,
        CancellationToken ct)
    {
        string path = run.PartPath(TableRegistry.Quarantine.Name, "unknown", "load");
        if (shard.Index != 0 || File.Exists(path) || q.Records.Count == 0)
            return;
        // Sorted by the table's one key, as every other part; PartWriter.DefaultRowGroupSize rows per group.
        await TableRegistry.Quarantine.WritePartAsync(path, q.Records, metadata,
            PartWriter<QuarantineRecord>.DefaultRowGroupSize, ct);
    }
}
