namespace KnPipeline.Stages.Models.Hub;

/// <summary>A model fetched into (or found in) the Hub cache.</summary>
/// <param name="RepoId">e.g. "openai-community/gpt2".</param>
/// <param name="Revision">As asked ("main" by default).</param>
/// <param name="Commit">The commit sha the revision resolved to.</param>
/// <param name="Path">The snapshot folder, <c>…/models--org--name/snapshots/&lt;commit&gt;</c>: what loaders read.</param>
/// <param name="Files">The snapshot's files, relative, with '/'.</param>
/// <param name="FilesDownloaded">Files whose bytes were downloaded by this fetch (0 when all were cached).</param>
/// <param name="BytesDownloaded">Bytes received over the network.</param>
public sealed record HubFetchResult(
    string RepoId,
    string Revision,
    string Commit,
    string Path,
    IReadOnlyList<string> Files,
    int FilesDownloaded,
    long BytesDownloaded);
