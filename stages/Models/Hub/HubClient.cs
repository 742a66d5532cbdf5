using System.Net;
using System.Net.Http.Headers;
using KnPipeline.Stages.Downloads;

namespace KnPipeline.Stages.Models.Hub;

/// <summary>
/// The Hub's file protocol as huggingface_hub speaks it: HEAD <c>{endpoint}/{repo}/resolve/{revision}/{file}</c>
/// (without following an absolute redirect, whose target is the CDN URL of an LFS file; relative redirects, e.g. of a
/// renamed repository, are followed), reading X-Repo-Commit, X-Linked-Etag/ETag and X-Linked-Size/Content-Length,
/// with <c>Authorization: Bearer</c> when a token is set.
/// </summary>
public sealed class HubClient(HubSettings settings, FileDownloader downloader)
{
    public HubSettings Settings { get; } = settings;

    public FileDownloader Downloader { get; } = downloader;

    /// <summary>The bearer token header, or null without a token.</summary>
    public AuthenticationHeaderValue? Authorization { get; } =
        settings.Token == null ? null : new AuthenticationHeaderValue("Bearer", settings.Token);

    public Uri ResolveUrl(HubModelReference model, string revision, string file) =>
        new($"{Settings.Endpoint}/{model.RepoId}/resolve/{Uri.EscapeDataString(revision)}/" +
            string.Join('/', file.Split('/').Select(Uri.EscapeDataString)));

    /// <summary>The file's metadata, or null when the Hub answers 404 for this file (the repository and revision
    /// exist). Throws <see cref="HubException"/> when the repository or revision is missing or access is denied.</summary>
    public async Task<HubFileMetadata?> GetMetadataAsync(HubModelReference model, string revision, string file,
        CancellationToken ct)
    {
        Uri url = ResolveUrl(model, revision, file);
        string? commit = null, etag = null;
        long? size = null;
        for (int hop = 0; ; hop++)
        {
            using var response = await Downloader.SendAsync(HttpMethod.Head, url, Authorization, null,
                followRedirects: false, ct);
            // The first answer that carries a header wins: after a relative redirect the Hub's headers stay valid.
            commit ??= Header(response, "X-Repo-Commit");
            etag ??= NormalizeEtag(Header(response, "X-Linked-Etag") ?? response.Headers.ETag?.ToString()
                                   ?? Header(response, "ETag"));
            size ??= long.TryParse(Header(response, "X-Linked-Size"), out long linked) ? linked : null;
            int status = (int)response.StatusCode;
            if (status is >= 300 and <= 399 && response.Headers.Location is { } location)
            {
                bool relative = !location.IsAbsoluteUri;
                var next = relative ? new Uri(url, location) : location;
                if (!relative || hop >= Downloader.Options.MaxRedirects)
                    return Metadata(model, file, commit, etag, size, next);
                url = next;
                continue;
            }
            if (response.IsSuccessStatusCode)
                return Metadata(model, file, commit, etag, size ?? response.Content.Headers.ContentLength, url);
            ThrowOnRepoError(model, revision, file, response);
            return null;
        }
    }

    private HubFileMetadata Metadata(HubModelReference model, string file, string? commit, string? etag, long? size,
        Uri downloadUrl)
    {
        if (commit == null || etag == null)
            throw new HubException(
                $"{model}: the answer for {file} from {Settings.Endpoint} has no {(commit == null ? "X-Repo-Commit" : "ETag")} " +
                "header; is HF_ENDPOINT a Hugging Face Hub (or a proxy that strips headers)?");
        if (!HubModelReference.IsCommitHash(commit))
            throw new HubException($"{model}: X-Repo-Commit '{commit}' for {file} is not a commit sha");
        return new HubFileMetadata(commit, etag, size, downloadUrl);
    }

    private void ThrowOnRepoError(HubModelReference model, string revision, string file, HttpResponseMessage response)
    {
        string? code = Header(response, "X-Error-Code");
        string where = $"{model.RepoId}@{revision} on {Settings.Endpoint}";
        switch (response.StatusCode)
        {
            case HttpStatusCode.NotFound when code is null or "EntryNotFound":
                return;  // the file does not exist at this revision; the caller decides whether it is required
            case HttpStatusCode.NotFound when code == "RevisionNotFound":
                throw new HubException($"revision '{revision}' not found in {model.RepoId} on {Settings.Endpoint}",
                    response.StatusCode);
            case HttpStatusCode.NotFound or HttpStatusCode.Unauthorized when code is "RepoNotFound" or null:
                throw new HubException(
                    $"repository {model.RepoId} not found on {Settings.Endpoint}, or it is private and " +
                    (Settings.Token == null ? "no token is set (HF_TOKEN)" : "the token (HF_TOKEN) has no access to it"),
                    response.StatusCode);
            case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                throw new HubException(
                    $"access to {file} of {where} denied (HTTP {(int)response.StatusCode}" +
                    $"{(code == null ? "" : ", " + code)}): a gated model needs its terms accepted on the Hub and a " +
                    "token in HF_TOKEN", response.StatusCode);
            default:
                throw new HubException(
                    $"HEAD {response.RequestMessage?.RequestUri} for {file} of {where}: HTTP {(int)response.StatusCode} " +
                    $"{response.ReasonPhrase}", response.StatusCode);
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? values.FirstOrDefault()
            : null;

    /// <summary>Strips W/ and quotes, as huggingface_hub does; the result becomes a file name, so it is checked.</summary>
    public static string? NormalizeEtag(string? raw)
    {
        if (raw == null) return null;
        string etag = raw.Trim();
        if (etag.StartsWith("W/", StringComparison.Ordinal)) etag = etag[2..];
        etag = etag.Trim('"');
        if (etag.Length == 0 || etag.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) ||
            etag.StartsWith('.'))
            throw new HubException($"ETag '{raw}' cannot name a blob file");
        return etag;
    }
}
