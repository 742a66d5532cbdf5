using KnPipeline.Runs;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Records;

namespace KnPipeline.Graph;

/// <summary>
/// Writes one finished chunk: a part file per table and language (records sorted by key, so the bytes depend only on
/// the work), then the chunk's done marker. Parts are written under a temporary name and renamed (PartWriter), and
/// the marker comes last, so a crash at any point leaves either a whole chunk or one that is redone.
/// </summary>
public sealed class ChunkWriter(RunFolder run, PartMetadata metadata, int rowGroupRows, double knThreshold, int topK, bool keepFull, int ffnWidth)
{
    public async Task<ChunkMarker> WriteAsync(TokenizedChunk chunk, IReadOnlyList<(TokenizedQueryRecord Query, QueryAttribution Result)> attributed,
                                              int notLocalized, CancellationToken ct)
    {
        var expanded = chunk.Expanded;
        var parts = new List<string>();
        // A rerun of a chunk that crashed before its marker may find its earlier parts: they are replaced.
        foreach (var table in RunFolder.Tables)
            foreach (var dir in Directory.Exists(Path.Combine(run.Path, table)) ? Directory.GetDirectories(Path.Combine(run.Path, table)) : [])
            {
                string stale = Path.Combine(dir, $"part-{expanded.Chunk.Key}.parquet");
                if (File.Exists(stale))
                    File.Delete(stale);
            }
        var byQuery = expanded.Queries.ToDictionary(q => q.QueryId);
        await WriteTable("queries", QueryRecordSchema.Instance, expanded.Queries, q => q.Language, q => q.QueryId, parts, expanded.Chunk.Key, ct);
        await WriteTable("tokenized", TokenizedQueryRecordSchema.Instance, chunk.Tokenized, q => q.Language, q => q.QueryId, parts, expanded.Chunk.Key, ct);
        var records = attributed.Select(a => ToRecord(a.Query, a.Result, byQuery[a.Query.QueryId].TemplateId)).ToList();
        await WriteTable("attributions", AttributionRecordSchema.Instance, records, r => r.Language, r => r.QueryId, parts, expanded.Chunk.Key, ct);
        var kns = attributed.Select(a => ToKnSet(a.Query, a.Result, byQuery[a.Query.QueryId].TemplateId)).ToList();
        await WriteTable("kn_sets", KnSetRecordSchema.Instance, kns, r => r.Language, r => r.QueryId, parts, expanded.Chunk.Key, ct);
        var quarantine = expanded.Quarantined.Concat(chunk.Quarantined).ToList();
        await WriteTable("quarantine", QuarantineRecordSchema.Instance, quarantine, q => LanguageOf(q, byQuery), q => $"{q.Source}\u0000{q.Line:D9}\u0000{q.RecordId}\u0000{q.Reason}", parts, expanded.Chunk.Key, ct);
        var marker = new ChunkMarker(expanded.Chunk.Key, expanded.Chunk.FactIds.ToArray(), expanded.Queries.Count, chunk.Tokenized.Count,
            attributed.Count, quarantine.Count, parts.ToArray())
        {
            GapSketch = QuantileSketch.Of(attributed.SelectMany(a => a.Result.Layers.Select(l => l.Gap))),
            Skipped = expanded.Skipped,
            NotLocalized = notLocalized,
            TokenStats = chunk.TokenStats.ToArray(),
        };
        marker.Write(run);
        return marker;
    }

    private static string LanguageOf(QuarantineRecord q, Dictionary<string, QueryRecord> byQuery) =>
        byQuery.TryGetValue(q.RecordId, out var query) ? query.Language : "unknown";

    private async Task WriteTable<T>(string table, IRecordSchema<T> schema, IEnumerable<T> rows, Func<T, string> language,
        Func<T, string> key, List<string> parts, string chunkKey, CancellationToken ct)
    {
        foreach (var group in rows.GroupBy(language).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            string path = run.PartPath(table, group.Key, chunkKey);
            await using var w = await PartWriter<T>.CreateAsync(path, schema, metadata, rowGroupRows, ct);
            foreach (var r in group.OrderBy(key, StringComparer.Ordinal))
                await w.WriteAsync(r);
            await w.CompleteAsync();
            parts.Add(Path.GetRelativePath(run.Path, path));
        }
    }

    private AttributionRecord ToRecord(TokenizedQueryRecord q, QueryAttribution r, string templateId)
    {
        var top = KnSelection.TopKPerLayer(r, topK);
        return new AttributionRecord(q.QueryId, q.FactId, q.Relation, q.Language, templateId, q.Split, r.FA, r.TargetProb, r.TargetRank,
            r.NonFinite, r.Layers.Select(l => l.Layer).ToArray(), r.Layers.Select(l => l.FBaseline).ToArray(),
            r.Layers.Select(l => l.Sum).ToArray(), r.Layers.Select(l => l.Gap).ToArray(),
            top.Select(t => t.Layer).ToArray(), top.Select(t => t.Unit).ToArray(), top.Select(t => t.Score).ToArray(),
            ffnWidth, keepFull ? r.Layers.SelectMany(l => l.Attributions).ToArray() : []);
    }

    private KnSetRecord ToKnSet(TokenizedQueryRecord q, QueryAttribution r, string templateId)
    {
        var (max, neurons) = KnSelection.Coarse(r, knThreshold);
        return new KnSetRecord(q.QueryId, q.FactId, q.Relation, q.Language, templateId, knThreshold, max,
            neurons.Select(n => n.Layer).ToArray(), neurons.Select(n => n.Unit).ToArray(), neurons.Select(n => n.Score).ToArray());
    }
}
