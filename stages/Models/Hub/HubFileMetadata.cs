namespace KnPipeline.Stages.Models.Hub;

/// <summary>What a HEAD on <c>{endpoint}/{repo}/resolve/{revision}/{file}</c> tells, as huggingface_hub reads it.</summary>
/// <param name="Commit">X-Repo-Commit: the commit the revision resolved to.</param>
/// <param name="Etag">X-Linked-Etag, else ETag, without quotes or W/: the blob's name in the cache (the sha256 of an
/// LFS file, the git blob sha1 of a regular one).</param>
/// <param name="Size">X-Linked-Size, else Content-Length, when sent.</param>
/// <param name="DownloadUrl">Where to GET the bytes: the redirect target (a CDN URL for LFS files) or the resolve URL.</param>
public sealed record HubFileMetadata(string Commit, string Etag, long? Size, Uri DownloadUrl)
{
    /// <summary>LFS etags are the file's sha256 (64 hex digits); then the download can be verified against it.</summary>
    public string? Sha256 => Etag.Length == 64 && Etag.All(Uri.IsHexDigit) ? Etag.ToLowerInvariant() : null;
}
