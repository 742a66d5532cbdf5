using KnPipeline.Runs;
using KnPipeline.Stages.Records;

namespace KnPipeline.Graph;

/// <summary>
/// Writes one finished chunk: a part file per table and partition (records sorted by the table's key, so the bytes
/// depend only on the work), then the chunk's done marker. Parts are written under a temporary name and renamed
/// (PartWriter), and the marker comes last, so a crash at any point leaves either a whole chunk or one that is redone.
/// The tables and their layout come from <see cref="TableRegistry"/>; the chunk says which records it has.
/// </summary>
public sealed class ChunkWriter(RunFolder run, PartMetadata metadata, int rowGroupRows)
{
    public async Task<ChunkMarker> WriteAsync(ChunkResult result, CancellationToken ct)
    {
        var expanded = result.Expanded;
        string chunkKey = expanded.Chunk.Key;
        var parts = await WritePartsAsync(chunkKey, result.Tables, ct);
        // Counted over the first method, so queries_attributed and the gap median mean what they meant with one
        // method; the other methods' gaps are kept beside it.
        var byMethod = result.Attributions.ToLookup(a => a.Method);
        string first = result.Methods.Count > 0 ? result.Methods[0] : "";
        var attributed = result.Methods.Count > 0 ? byMethod[first].ToList() : result.Attributions.ToList();
        var marker = new ChunkMarker(chunkKey, expanded.Chunk.FactIds.ToArray(), expanded.Queries.Count,
            result.Chunk.Tokenized.Count, attributed.Count, result.Quarantined.Count, parts)
        {
            GapSketch = QuantileSketch.Of(attributed.SelectMany(a => a.LayerGap)),
            Methods = result.Methods.Count > 0 ? result.Methods.ToArray() : null,
            OtherGapSketches = result.Methods.Count > 1
                ? new SortedDictionary<string, QuantileSketch>(result.Methods.Skip(1).ToDictionary(m => m,
                    m => QuantileSketch.Of(byMethod[m].SelectMany(a => a.LayerGap))), StringComparer.Ordinal)
                : null,
            Skipped = result.AnalysisSkipped.Count == 0 ? expanded.Skipped : Merged(expanded.Skipped,
                result.AnalysisSkipped),
            NotLocalized = result.NotLocalized,
            TokenStats = result.Chunk.TokenStats.ToArray(),
        };
        marker.Write(run);
        return marker;
    }

    private static SortedDictionary<string, long> Merged(SortedDictionary<string, long> a,
        SortedDictionary<string, long> b)
    {
        var merged = new SortedDictionary<string, long>(a, StringComparer.Ordinal);
        foreach (var (k, v) in b)
            merged[k] = merged.GetValueOrDefault(k) + v;
        return merged;
    }

    /// <summary>
    /// Writes a chunk's records, a part per table and partition value, replacing parts an earlier attempt at the
    /// chunk left; returns their paths relative to the run folder, in the order written.
    /// </summary>
    public async Task<string[]> WritePartsAsync(string chunkKey, IEnumerable<TableRows> tables, CancellationToken ct)
    {
        DeleteStaleParts(chunkKey);
        var parts = new List<string>();
        foreach (var (table, rows) in tables)
            foreach (var partition in table.Partitions(rows))
            {
                string path = run.PartPath(table.Name, partition.Key, chunkKey);
                await table.WritePartAsync(path, partition, metadata, rowGroupRows, ct);
                parts.Add(Path.GetRelativePath(run.Path, path));
            }
        return parts.ToArray();
    }

    /// <summary>A rerun of a chunk that crashed before its marker may find its earlier parts: they go.</summary>
    private void DeleteStaleParts(string chunkKey)
    {
        foreach (var table in TableRegistry.All)
        {
            string dir = Path.Combine(run.Path, table.Name);
            foreach (var partition in Directory.Exists(dir) ? Directory.GetDirectories(dir) : [])
            {
                string stale = Path.Combine(partition, $"part-{chunkKey}.parquet");
                if (File.Exists(stale))
                    File.Delete(stale);
            }
        }
    }
}
