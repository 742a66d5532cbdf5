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
        string path = run.PartPath("quarantine", "unknown", "load");
        if (shard.Index != 0 || File.Exists(path) || q.Records.Count == 0)
            return;
        await using var w = await PartWriter<QuarantineRecord>.CreateAsync(path, QuarantineRecordSchema.Instance, metadata,
            ct: ct);
        foreach (var r in q.Records.OrderBy(r => r.Source, StringComparer.Ordinal).ThenBy(r => r.Line)
                     .ThenBy(r => r.Reason, StringComparer.Ordinal))
            await w.WriteAsync(r, ct);
        await w.CompleteAsync(ct);
    }
}
