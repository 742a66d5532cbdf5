using System.Text.Json;
using System.Text.Json.Nodes;
using KnPipeline.Stages.Records;

namespace KnPipeline.Runs;

/// <summary>
/// A run folder (docs/architecture.md, Run folders): manifest.json, one folder per table of Parquet part files
/// partitioned by language, chunks/ (a done marker per completed chunk), logs/, baselines/ and summary.json. A chunk
/// counts as done only when its marker exists and every part it lists is a readable Parquet file; anything else is
/// redone.
/// </summary>
public sealed class RunFolder
{
    public RunFolder(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }
    public string ManifestPath => System.IO.Path.Combine(Path, "manifest.json");
    public string ChunksDir => System.IO.Path.Combine(Path, "chunks");
    public string LogsDir => System.IO.Path.Combine(Path, "logs");
    public string SetAsideDir => System.IO.Path.Combine(Path, "set-aside");
    public string BaselinesDir => System.IO.Path.Combine(Path, "baselines");

    public string SummaryPath(ShardSpec shard) =>
        System.IO.Path.Combine(Path, shard.IsSharded ? $"summary-{shard.Index}-of-{shard.Count}.json" : "summary.json");

    public string PartPath(string table, string language, string chunkKey) =>
        System.IO.Path.Combine(Path, table, $"language={language}", $"part-{chunkKey}.parquet");

    public string MarkerPath(string chunkKey) => System.IO.Path.Combine(ChunksDir, $"{chunkKey}.done.json");

    public void Create()
    {
        Directory.CreateDirectory(Path);
        Directory.CreateDirectory(ChunksDir);
        Directory.CreateDirectory(LogsDir);
    }

    /// <summary>
    /// Writes the manifest, or checks an existing one: a different work hash means the folder belongs to another
    /// configuration, and resuming into it would mix results, so it is refused.
    /// </summary>
    public void WriteOrCheckManifest(JsonObject manifest, string workHash)
    {
        if (File.Exists(ManifestPath))
        {
            var before = JsonNode.Parse(File.ReadAllText(ManifestPath));
            var existing = before?["work_hash"]?.GetValue<string>();
            if (existing != workHash)
                throw new UsageException(
                    $"{Path} holds a run of a different configuration " +
                    $"(work hash {existing?[..12]} there, {workHash[..12]} now); " +
                    "resuming would mix results. Use another --run-dir, or restore that configuration.");
            // The same configuration can name changed inputs: a model folder or Hub revision that moved, edited data.
            var changed = new[]
                {
                    ("model", "weights_sha256", "model weights"), ("tokenizer", "sha256", "tokenizer files"),
                    ("data", "sha256", "benchmark data")
                }
                .Where(k => before?[k.Item1]?[k.Item2]?.ToString() is { } was &&
                    manifest[k.Item1]?[k.Item2]?.ToString() is { } now && was != now)
                .Select(k => $"{k.Item3} ({k.Item1}.{k.Item2} {before![k.Item1]![k.Item2]!.ToString()[..12]} there, " +
                    $"{manifest[k.Item1]![k.Item2]!.ToString()[..12]} now)")
                .ToList();
            if (changed.Count > 0)
                throw new UsageException(
                    $"{Path} was started with other inputs: {string.Join("; ", changed)}; " +
                    "resuming would mix results. " +
                    "Use another --run-dir, or restore those inputs.");
            return;
        }
        manifest["work_hash"] = workHash;
        WriteAtomic(ManifestPath, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    public static void WriteAtomic(string path, string text)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        string tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        using (var w = new StreamWriter(fs))
        {
            w.Write(text);
            w.Flush();
            fs.Flush(true);
        }
        File.Move(tmp, path, true);
    }

    /// <summary>All part files of a table (every language, every shard), in a stable order.</summary>
    public IEnumerable<string> Parts(string table)
    {
        string dir = System.IO.Path.Combine(Path, table);
        return Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, "part-*.parquet", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            : [];
    }

    /// <summary>Every record of a table, part by part in <see cref="Parts"/>' order, streamed: what the reduce
    /// phase's statistics read.</summary>
    public IEnumerable<T> Rows<T>(TableDef<T> table, CancellationToken ct = default) where T : class =>
        Parts(table.Name).SelectMany(p => PartReader.ReadAsync(p, table.Schema, ct).ToBlockingEnumerable(ct));
}
