using System.Text.Json;
using System.Text.Json.Serialization;
using KnPipeline.Stages.Tokenization;

namespace KnPipeline.Runs;

/// <summary>
/// What a finished chunk wrote: its facts, counts and the part files (relative paths) it owns. The counters a run's
/// summary reports (skips by reason, queries the model did not localize, tokenization per language) live here too,
/// so the summary of a resumed run adds up every chunk, not only those the last session computed. Markers written
/// before these counters existed read them as empty.
/// </summary>
public sealed record ChunkMarker(string Chunk, string[] Facts, int Queries, int Tokenized, int Attributed,
    int Quarantined, string[] Parts)
{
    /// <summary>The chunk's |completeness gaps|, one per attributed (query, layer) under the run's first method, as a
    /// mergeable sketch.</summary>
    public QuantileSketch? GapSketch { get; init; }

    /// <summary>The run's methods (<c>attribution.methods</c>) in order; null in markers older than methods. The
    /// first one's records are what <see cref="Attributed"/> and <see cref="GapSketch"/> count.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string[]? Methods { get; init; }

    /// <summary>The gap sketch of each method after the first, by method name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SortedDictionary<string, QuantileSketch>? OtherGapSketches { get; init; }

    /// <summary>The raw gaps, as markers written before <see cref="GapSketch"/> existed hold them (read, never
    /// written).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double[]? Gaps { get; init; }

    /// <summary>The gap sketch, from the raw gaps of an older marker when it has no sketch.</summary>
    public QuantileSketch GapsAsSketch() => GapSketch ?? QuantileSketch.Of(Gaps ?? []);

    public SortedDictionary<string, long>? Skipped { get; init; }

    public int NotLocalized { get; init; }

    public LanguageTokenStats[]? TokenStats { get; init; }

    public void Write(RunFolder run) => RunFolder.WriteAtomic(run.MarkerPath(Chunk), JsonSerializer.Serialize(this));

    /// <summary>Every done marker of a run folder (all shards), in file-name order, read one at a time.</summary>
    public static IEnumerable<ChunkMarker> ReadAll(RunFolder run) =>
        Directory.Exists(run.ChunksDir)
            ? Directory.EnumerateFiles(run.ChunksDir, "*.done.json").Order(StringComparer.Ordinal)
                .Select(f => JsonSerializer.Deserialize<ChunkMarker>(File.ReadAllText(f))
                             ?? throw new InvalidDataException($"{f}: empty chunk marker"))
            : [];

    /// <summary>
    /// The marker of a chunk, if the chunk is intact: the marker parses and each listed part opens as Parquet.
    /// A chunk with a damaged part has its files moved to set-aside/ and is reported as not done.
    /// </summary>
    public static ChunkMarker? ReadIfIntact(RunFolder run, string chunk, Action<string> log)
    {
        string path = run.MarkerPath(chunk);
        if (!File.Exists(path))
            return null;
        ChunkMarker? marker;
        try
        {
            marker = JsonSerializer.Deserialize<ChunkMarker>(File.ReadAllText(path));
        }
        catch (JsonException)
        {
            marker = null;
        }
        var bad = marker is null
            ? ["(marker)"]
            : marker.Parts.Where(p => !IsReadableParquet(System.IO.Path.Combine(run.Path, p))).ToList();
        if (bad.Count == 0)
            return marker;
        log($"chunk {chunk}: damaged or missing {string.Join(", ", bad)}; setting its files aside and redoing it");
        SetAside(run, chunk, marker?.Parts ?? []);
        return null;
    }

    /// <summary>Moves a chunk's marker and parts under set-aside/ (never deletes), so nothing is lost
    /// silently.</summary>
    public static void SetAside(RunFolder run, string chunk, IEnumerable<string> parts)
    {
        string stamp = DateTime.UtcNow.ToString("yyyyMMddTHHmmssfff");
        foreach (var rel in parts.Append(System.IO.Path.GetRelativePath(run.Path, run.MarkerPath(chunk))))
        {
            string src = System.IO.Path.Combine(run.Path, rel);
            if (!File.Exists(src))
                continue;
            string dst = System.IO.Path.Combine(run.SetAsideDir, stamp, rel);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(dst)!);
            File.Move(src, dst, true);
        }
    }

    /// <summary>A Parquet file is whole when it starts and ends with the magic "PAR1" and its footer length
    /// fits.</summary>
    public static bool IsReadableParquet(string path)
    {
        try
        {
            using var fs = File.OpenRead(path);
            if (fs.Length < 12)
                return false;
            Span<byte> head = stackalloc byte[4], tail = stackalloc byte[8];
            fs.ReadExactly(head);
            fs.Seek(-8, SeekOrigin.End);
            fs.ReadExactly(tail);
            int footer = BitConverter.ToInt32(tail[..4]);
            return head.SequenceEqual("PAR1"u8) && tail[4..].SequenceEqual("PAR1"u8) && footer > 0 &&
                footer + 12 <= fs.Length;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
