using System.Net.Sockets;
using KnPipeline.Stages.Downloads;

namespace KnPipeline.Stages.Models.Hub;

/// <summary>
/// Turns what a user writes for a model (a local folder, or a Hub id <c>org/name[@revision]</c>) into a folder of
/// checkpoint files. Hub ids resolve through the standard Hugging Face cache (see <see cref="HubSettings"/>), so
/// checkpoints downloaded by Python's huggingface_hub are reused, and ours are reused by it.
/// </summary>
public static class ModelLocator
{
    /// <summary>
    /// Without network access: an existing folder is used as is; a Hub id must already be in the cache
    /// (refs/&lt;revision&gt;,
    /// or a commit sha with its snapshot). Throws <see cref="HubException"/> naming the cache folder when it is not.
    /// </summary>
    /// <param name="env">Where HF_HOME, HF_HUB_CACHE, ... are read; null = this process's environment.</param>
    public static ModelLocation Resolve(string pathOrId, EnvironmentVariables? env = null)
    {
        if (Directory.Exists(pathOrId)) return new ModelLocation(Path.GetFullPath(pathOrId), null, null);
        var model = ParseId(pathOrId);
        try
        {
            return FromCache(model, HubSettings.FromEnvironment(env ?? EnvironmentVariables.Process));
        }
        catch (HubException e)
        {
            throw new HubException($"no folder '{pathOrId}' exists, and as a Hub id: {e.Message}", e.StatusCode, e);
        }
    }

    /// <summary>
    /// Like <see cref="Resolve"/>, but a Hub id is fetched (<see cref="HubModelFetcher"/>: only missing files are
    /// downloaded) unless HF_HUB_OFFLINE is set. When the Hub cannot be reached, a cached copy is used instead.
    /// </summary>
    public static async Task<ModelLocation> ResolveAsync(string pathOrId, EnvironmentVariables? env = null,
        DownloadProgress? progress = null, FileDownloader? downloader = null, CancellationToken ct = default)
    {
        if (Directory.Exists(pathOrId)) return new ModelLocation(Path.GetFullPath(pathOrId), null, null);
        var model = ParseId(pathOrId);
        var settings = HubSettings.FromEnvironment(env ?? EnvironmentVariables.Process);
        if (settings.Offline) return FromCache(model, settings);
        using var owned = downloader == null ? new FileDownloader() : null;
        var fetcher = new HubModelFetcher(new HubClient(settings, downloader ?? owned!), progress);
        try
        {
            var fetched = await fetcher.FetchAsync(model, ct);
            return new ModelLocation(fetched.Path, fetched.Commit, fetched.RepoId);
        }
        catch (Exception e) when (IsUnreachable(e) && TryFromCache(model, settings) is { } cached)
        {
            (progress ?? DownloadProgress.None).Message(
                $"{model}: {settings.Endpoint} unreachable ({e.Message}); using the cached commit {cached.Commit}");
            return cached;
        }
    }

    /// <summary>The cached snapshot of <paramref name="model"/>; throws <see cref="HubException"/> when it is not
    /// cached or lacks config.json or its weights.</summary>
    public static ModelLocation FromCache(HubModelReference model, HubSettings settings)
    {
        var cache = new HubCache(settings.CacheDir);
        string hint = settings.Offline
            ? "HF_HUB_OFFLINE is set, so nothing is downloaded; fetch it first with network access " +
              $"(pipeline model fetch {model})"
            : $"fetch it with: pipeline model fetch {model}";
        string? commit = cache.ResolveCommit(model)
            ?? throw new HubException($"{model} is not in the Hugging Face cache {cache.Root} (looked for " +
                                      $"{Path.Combine(cache.RepoDir(model), "refs", model.Revision)}); {hint}");
        string dir = cache.SnapshotDir(model, commit);
        // LinkedFiles, not File.Exists: a snapshot link whose blob was deleted exists, but no loader could open it.
        string? missing =
            !LinkedFiles.Exists(Path.Combine(dir, HubModelFetcher.ConfigFile)) ? HubModelFetcher.ConfigFile
            : !LinkedFiles.Exists(Path.Combine(dir, HubModelFetcher.WeightsFile)) &&
              !LinkedFiles.Exists(Path.Combine(dir, HubModelFetcher.WeightsIndexFile))
                ? $"{HubModelFetcher.WeightsFile} (or {HubModelFetcher.WeightsIndexFile})"
                : null;
        if (missing != null)
            throw new HubException(
                $"{model}: the cached snapshot {dir} has no {missing} (or its blob is missing); {hint}");
        return new ModelLocation(dir, commit, model.RepoId);
    }

    private static ModelLocation? TryFromCache(HubModelReference model, HubSettings settings)
    {
        try
        {
            return FromCache(model, settings);
        }
        catch (HubException)
        {
            return null;
        }
    }

    private static bool IsUnreachable(Exception e) =>
        e is HttpRequestException { StatusCode: null } or TimeoutException or SocketException ||
        (e is DownloadException { StatusCode: null, InnerException: { } inner } && IsUnreachable(inner));

    private static HubModelReference ParseId(string pathOrId) =>
        HubModelReference.TryParse(pathOrId, out var model, out string? error)
            ? model!
            : throw new HubException($"'{pathOrId}' is neither an existing folder nor a Hub model id: {error}");
}
