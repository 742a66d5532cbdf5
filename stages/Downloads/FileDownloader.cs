using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using KnPipeline.Stages.Models;

namespace KnPipeline.Stages.Downloads;

/// <summary>
/// The HTTP download core shared by dataset and Hugging Face Hub fetches: redirects followed by hand (so Authorization
/// is dropped when the host changes), resume of a partial file with a Range request (restart when the server ignores
/// it), retries of dropped connections, size and SHA-256 checks, and an atomic rename into place.
/// </summary>
public sealed class FileDownloader : IDisposable
{
    private const int BufferSize = 1 << 20;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <param name="http">A client that does NOT follow redirects itself (see <see cref="CreateHttpClient"/>); null
    /// creates one.</param>
    public FileDownloader(FileDownloaderOptions? options = null, HttpClient? http = null)
    {
        Options = options ?? new FileDownloaderOptions();
        _ownsHttp = http == null;
        _http = http ?? CreateHttpClient();
    }

    public FileDownloaderOptions Options { get; }

    /// <summary>A client without automatic redirects or decompression: hashes are of the bytes as published, and
    /// redirects must be seen to drop credentials and to read the Hub's headers before them.</summary>
    public static HttpClient CreateHttpClient() =>
        new(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(30),
        })
        // Per-phase timeouts are ours (ResponseTimeout, ReadTimeout): a whole-request timeout would kill big files.
        { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>
    /// Sends one request. With <paramref name="followRedirects"/>, 3xx answers are followed (relative Locations
    /// resolved against the current URL) and <paramref name="authorization"/> is dropped once the host changes.
    /// The caller disposes the response; its <c>RequestMessage.RequestUri</c> is the final URL.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url,
        AuthenticationHeaderValue? authorization, RangeHeaderValue? range, bool followRedirects, CancellationToken ct)
    {
        string firstAuthority = url.Authority;
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, url);
            request.Headers.UserAgent.ParseAdd(Options.UserAgent);
            // Identity encoding: Content-Length and the hashed bytes are those of the published file.
            request.Headers.AcceptEncoding.ParseAdd("identity");
            if (authorization != null && url.Authority == firstAuthority) request.Headers.Authorization = authorization;
            if (range != null) request.Headers.Range = range;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Options.ResponseTimeout);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"no response from {url} within {Options.ResponseTimeout.TotalSeconds:F0} s");
            }
            int status = (int)response.StatusCode;
            if (!followRedirects || status < 300 || status > 399 || response.Headers.Location == null)
                return response;
            Uri next = response.Headers.Location.IsAbsoluteUri
                ? response.Headers.Location
                : new Uri(url, response.Headers.Location);
            response.Dispose();
            if (hop >= Options.MaxRedirects)
                throw new DownloadException($"more than {Options.MaxRedirects} redirects starting at {url}", url);
            if (next.Authority != firstAuthority) authorization = null;
            url = next;
        }
    }

    /// <summary>Downloads, verifies and renames one file into place. Throws <see cref="DownloadVerificationException"/>
    /// on a size or hash mismatch (after deleting the bytes) and <see cref="DownloadException"/> on HTTP
    /// errors.</summary>
    public async Task<DownloadResult> DownloadAsync(DownloadRequest request, DownloadProgress? progress,
        CancellationToken ct)
    {
        progress ??= DownloadProgress.None;
        string part = request.EffectivePartialPath;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(part))!);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(request.DestinationPath))!);
        progress.Start(request.DisplayName);

        long transferred = 0, resumedFrom = 0;
        // Bytes of the partial file already shown as done, so a retry that resumes does not count them twice.
        long reported = 0;
        bool rangeIgnored = false;
        int attempt = 0;
        var delay = Options.RetryDelay;
        while (true)
        {
            attempt++;
            // The length of the file the partial path leads to: through a link, FileInfo.Length is the link's own
            // (a few dozen bytes), and the Range request would then ask for the wrong offset while the bytes are
            // appended at the true end of the linked file (FileMode.Append follows the link).
            long have = LinkedFiles.Target(part)?.Length ?? 0;
            if (request.ExpectedSize is long size && have > size)
            {
                File.Delete(part);  // longer than the file can be: not a prefix of it
                have = 0;
            }
            if (request.ExpectedSize is long complete && have == complete && (have > 0 || LinkedFiles.Exists(part)))
                break;  // a previous run got every byte but stopped before verifying and renaming
            try
            {
                var outcome = await TransferAsync(request, part, have, reported, progress, ct);
                transferred += outcome.Transferred;
                if (outcome.ResumedFrom > 0) resumedFrom = outcome.ResumedFrom;
                rangeIgnored |= outcome.RangeIgnored;
                if (outcome.Complete) break;
                if (attempt >= Options.MaxAttempts)
                    throw new DownloadException(
                        $"{request.DisplayName}: {request.Url} kept answering with unusable ranges " +
                        $"({attempt} attempts)",
                        request.Url);
            }
            catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested && attempt < Options.MaxAttempts)
            {
                progress.Message($"{request.DisplayName}: {e.Message}; retrying in {delay.TotalSeconds:0.#} s " +
                                 $"(attempt {attempt + 1} of {Options.MaxAttempts}), resuming from the partial file");
                await Task.Delay(delay, ct);
                delay *= 2;
            }
            catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested)
            {
                throw new DownloadException(
                    $"{request.DisplayName}: download from {request.Url} failed after {attempt} attempts: " +
                    $"{e.Message}. " +
                    $"The partial file {part} is kept and will be resumed next time.", request.Url, inner: e);
            }
            finally
            {
                reported = LinkedFiles.Target(part)?.Length ?? 0;
            }
        }

        var (actualSize, sha) = await HashFileAsync(part, ct);
        Verify(request, part, "size", request.ExpectedSize?.ToString(), actualSize.ToString());
        Verify(request, part, "sha256", request.ExpectedSha256?.ToLowerInvariant(), sha);
        // A partial path that is a link is renamed as the link: the destination then leads to the verified bytes
        // wherever they are (every reader follows links), and nothing is copied across disks.
        File.Move(part, request.DestinationPath, overwrite: true);
        return new DownloadResult(request.DestinationPath, actualSize, sha, transferred, resumedFrom, rangeIgnored,
            attempt);
    }

    /// <summary>Size and lower-case hex SHA-256 of a file.</summary>
    public static async Task<(long Size, string Sha256)> HashFileAsync(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        byte[] hash = await SHA256.HashDataAsync(stream, ct);
        return (stream.Length, Convert.ToHexStringLower(hash));
    }

    private sealed record Outcome(bool Complete, long Transferred, long ResumedFrom, bool RangeIgnored);

    private async Task<Outcome> TransferAsync(DownloadRequest request, string part, long have, long reported,
        DownloadProgress progress, CancellationToken ct)
    {
        var range = have > 0 ? new RangeHeaderValue(have, null) : null;
        using var response = await SendAsync(HttpMethod.Get, request.Url, request.Authorization, range,
            followRedirects: true, ct);
        var status = response.StatusCode;
        if (status == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
        {
            // The partial file may already hold every byte (size unknown in advance): the server says how long it is.
            if (response.Content.Headers.ContentRange?.Length == have) return new Outcome(true, 0, 0, false);
            File.Delete(part);
            return new Outcome(false, 0, 0, false);
        }
        if (!response.IsSuccessStatusCode)
        {
            string message = $"{request.DisplayName}: HTTP {(int)status} {response.ReasonPhrase} from " +
                             $"{response.RequestMessage?.RequestUri ?? request.Url}";
            throw IsTransientStatus(status)
                ? new HttpRequestException(message, null, status)
                : new DownloadException(message, request.Url, status);
        }

        bool append = false, rangeIgnored = false;
        if (status == HttpStatusCode.PartialContent)
        {
            if (have == 0 || response.Content.Headers.ContentRange?.From != have)
            {
                // A 206 for a range we did not ask for: start over without Range.
                File.Delete(part);
                return new Outcome(false, 0, 0, false);
            }
            append = true;
            progress.Skipped(Math.Max(0, have - reported));
        }
        else if (have > 0)
            rangeIgnored = true;  // 200 to a Range request: the whole file follows, so the partial file is discarded

        long transferred = 0;
        await using (var body = await response.Content.ReadAsStreamAsync(ct))
        await using (var file = new FileStream(part, append ? FileMode.Append : FileMode.Create, FileAccess.Write,
                         FileShare.None, BufferSize, FileOptions.Asynchronous))
        {
            var buffer = new byte[BufferSize];
            using var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            while (true)
            {
                readTimeout.CancelAfter(Options.ReadTimeout);  // reschedules: it bounds each read, not the whole body
                int n;
                try
                {
                    n = await body.ReadAsync(buffer, readTimeout.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new TimeoutException(
                        $"no data from {request.Url} for {Options.ReadTimeout.TotalSeconds:F0} s");
                }
                if (n == 0) break;
                await file.WriteAsync(buffer.AsMemory(0, n), ct);
                transferred += n;
                progress.Transferred(n);
            }
            // The rename that follows makes the file visible only once complete; a crash before it leaves a
            // partial file that the next run resumes, and the hash check catches anything torn.
            await file.FlushAsync(ct);
        }
        return new Outcome(true, transferred, append ? have : 0, rangeIgnored);
    }

    private static void Verify(DownloadRequest request, string part, string what, string? expected, string actual)
    {
        if (expected == null || expected == actual) return;
        File.Delete(part);
        throw new DownloadVerificationException(request.DisplayName, request.Url, what, expected, actual);
    }

    private static bool IsTransient(Exception e) =>
        e is IOException or TimeoutException ||
        (e is HttpRequestException h && (h.StatusCode == null || IsTransientStatus(h.StatusCode.Value)));

    private static bool IsTransientStatus(HttpStatusCode s) =>
        s is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)s >= 500;

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}
