using System.Text.Json;
using KnPipeline.Stages.Downloads;

namespace KnPipeline.Stages.Models.Hub;

/// <summary>
/// Downloads the files a checkpoint loader needs into the Hub cache: config.json, the safetensors weights (one file, or
/// the index and its shards) and whichever tokenizer files exist. A 404 on an optional file is recorded in .no_exist; a
/// 404 on config.json or the weights is an error. Blobs already cached are not downloaded again.
/// </summary>
public sealed class HubModelFetcher(HubClient client, DownloadProgress? progress = null)
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string WeightsIndexFile = "model.safetensors.index.json";

    /// <summary>Tokenizer and generation files fetched when the repository has them.</summary>
    public static IReadOnlyList<string> OptionalFiles { get; } =
    [
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "vocab.txt",
        "tokenizer.model", "generation_config.json",
    ];

    private readonly DownloadProgress _progress = progress ?? DownloadProgress.None;
    private readonly HubCache _cache = new(client.Settings.CacheDir);

    /// <summary>Fetches the model (with HF_HUB_OFFLINE: only looks it up in the cache).</summary>
    public async Task<HubFetchResult> FetchAsync(HubModelReference model, CancellationToken ct)
    {
        if (client.Settings.Offline)
        {
            var cached = ModelLocator.FromCache(model, client.Settings);
            return new HubFetchResult(model.RepoId, model.Revision, cached.Commit!, cached.LocalDir,
                ListFiles(cached.LocalDir), 0, 0);
        }

        // config.json at the asked revision tells the commit; every other file is then asked at that commit, so a
        // branch that moves during the fetch cannot mix two versions.
        var config = await client.GetMetadataAsync(model, model.Revision, ConfigFile, ct)
                     ?? throw Missing(model, model.Revision, ConfigFile, "it is not a transformers checkpoint");
        string commit = config.Commit;
        _cache.WriteRef(model, commit);

        var weights = new List<(string File, HubFileMetadata Meta)>();
        HubFileMetadata? index = null;
        if (await client.GetMetadataAsync(model, commit, WeightsFile, ct) is { } single)
            weights.Add((WeightsFile, single));
        else
            index = await client.GetMetadataAsync(model, commit, WeightsIndexFile, ct)
                    ?? throw Missing(model, commit, $"{WeightsFile} or {WeightsIndexFile}",
                        "only safetensors weights are loaded (convert pytorch_model.bin to safetensors first)");
        var optional = new List<(string File, HubFileMetadata Meta)>();
        foreach (string file in OptionalFiles)
        {
            if (await client.GetMetadataAsync(model, commit, file, ct) is { } meta)
                optional.Add((file, meta));
            else
                _cache.MarkMissing(model, commit, file);
        }

        int filesDownloaded = 0;
        long bytes = 0;
        void Count(long downloaded)
        {
            if (downloaded < 0) return;
            filesDownloaded++;
            bytes += downloaded;
        }
        if (index != null)
        {
            // The index must be local before its shards are known.
            Count(await EnsureAsync(model, commit, WeightsIndexFile, index, ct));
            foreach (string shard in ReadShards(_cache.SnapshotPath(model, commit, WeightsIndexFile)))
                weights.Add((shard, await client.GetMetadataAsync(model, commit, shard, ct)
                                    ?? throw Missing(model, commit, shard, $"{WeightsIndexFile} lists it")));
        }
        var wanted = new[] { (File: ConfigFile, Meta: config) }.Concat(weights).Concat(optional).ToList();
        _progress.Expect(wanted.Where(w => !IsCached(model, w.Meta)).Sum(w => w.Meta.Size ?? 0));
        foreach (var (file, meta) in wanted)
            Count(await EnsureAsync(model, commit, file, meta, ct));
        _progress.Finish();

        var files = wanted.Select(w => w.File).ToList();
        if (index != null) files.Insert(1, WeightsIndexFile);
        return new HubFetchResult(model.RepoId, model.Revision, commit, _cache.SnapshotDir(model, commit), files,
            filesDownloaded, bytes);
    }

    /// <summary>Makes snapshots/&lt;commit&gt;/&lt;file&gt; point at its blob, downloading the blob unless cached.
    /// Returns the bytes downloaded, or -1 when the blob was already cached.</summary>
    private async Task<long> EnsureAsync(HubModelReference model, string commit, string file, HubFileMetadata meta,
        CancellationToken ct)
    {
        string blob = _cache.BlobPath(model, meta.Etag);
        long downloaded = -1;
        if (!IsCached(model, meta))
        {
            using (await _cache.LockBlobAsync(model, meta.Etag, ct))
            {
                if (!IsCached(model, meta))  // another process may have finished it while we waited
                {
                    // A download URL on another host is a signed CDN URL: like huggingface_hub, send it no token.
                    var auth = meta.DownloadUrl.Authority == new Uri(client.Settings.Endpoint).Authority
                        ? client.Authorization
                        : null;
                    var result = await client.Downloader.DownloadAsync(
                        new DownloadRequest(meta.DownloadUrl, blob, $"{model.RepoId}/{file}", meta.Size, meta.Sha256,
                            blob + ".incomplete", auth), _progress, ct);
                    downloaded = result.BytesTransferred;
                }
            }
        }
        _cache.LinkSnapshotFile(model, commit, file, meta.Etag);
        return downloaded;
    }

    private bool IsCached(HubModelReference model, HubFileMetadata meta)
    {
        // Through links: a blob moved to another disk and linked back is still cached (FileInfo.Length would be
        // the link's own length, never the size, and the blob would be downloaded again over the link).
        var blob = LinkedFiles.Target(_cache.BlobPath(model, meta.Etag));
        return blob != null && (meta.Size == null || blob.Length == meta.Size);
    }

    private static IEnumerable<string> ReadShards(string indexPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(indexPath));
        if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{indexPath}: key 'weight_map' is missing or not an object");
        var shards = map.EnumerateObject().Select(p => p.Value.GetString()
                ?? throw new InvalidDataException($"{indexPath}: weight_map['{p.Name}'] is not a string"))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (string shard in shards)
            if (!DatasetManifest.IsSafeRelativePath(shard))
                throw new InvalidDataException($"{indexPath}: shard name '{shard}' is not a relative file name");
        return shards;
    }

    private HubException Missing(HubModelReference model, string revision, string file, string why) =>
        new($"{model.RepoId}@{revision}: {file} not found on {client.Settings.Endpoint} " +
            $"({client.ResolveUrl(model, revision, file)}); {why}", System.Net.HttpStatusCode.NotFound);

    internal static IReadOnlyList<string> ListFiles(string snapshot) =>
        Directory.EnumerateFiles(snapshot, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(snapshot, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal).ToList();
}
