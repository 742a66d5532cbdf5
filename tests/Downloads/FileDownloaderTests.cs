using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using KnPipeline.Stages.Downloads;
using Xunit;

namespace KnPipeline.Tests.Downloads;

public sealed class FileDownloaderTests
{
    private static readonly FileDownloaderOptions Fast = new()
        { RetryDelay = TimeSpan.FromMilliseconds(20), ReadTimeout = TimeSpan.FromSeconds(10) };

    private static byte[] Payload(int size, int seed = 1)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static CancellationToken Bounded() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    [Fact]
    public async Task DownloadVerifiesAndRenamesIntoPlaceLeavingNoPartFile()
    {
        byte[] data = Payload(300_000);
        await using var server = new LoopbackHttpServer(r => LoopbackResponse.Content(data, r));
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast);
        string dest = dir.Combine("sub", "file.bin");

        var result = await downloader.DownloadAsync(
            new DownloadRequest(new Uri(server.BaseUrl + "/file.bin"), dest, "file.bin", data.Length, Sha(data)),
            null, Bounded());

        Assert.Equal(data, await File.ReadAllBytesAsync(dest));
        Assert.False(File.Exists(dest + ".part"));
        Assert.Equal(Sha(data), result.Sha256);
        Assert.Equal(data.Length, result.BytesTransferred);
        Assert.Equal(1, result.Attempts);
    }

    [Fact]
    public async Task PartialFileIsResumedWithRangeRequest()
    {
        byte[] data = Payload(200_000);
        await using var server = new LoopbackHttpServer(r => LoopbackResponse.Content(data, r));
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast);
        string dest = dir.Combine("file.bin");
        await File.WriteAllBytesAsync(dest + ".part", data[..70_000]);

        var result = await downloader.DownloadAsync(
            new DownloadRequest(new Uri(server.BaseUrl + "/file.bin"), dest, "file.bin", data.Length, Sha(data)),
            null, Bounded());

        Assert.Equal("bytes=70000-", Assert.Single(server.Requests).Header("Range"));
        Assert.Equal(70_000, result.ResumedFrom);
        Assert.Equal(130_000, result.BytesTransferred);
        Assert.Equal(data, await File.ReadAllBytesAsync(dest));
    }

    [Fact]
    public async Task PartialFileReachedThroughALinkIsResumedFromTheLinkedFilesLength()
    {
        // A partial file that is a link (a download area moved to a bigger disk and linked back): FileInfo.Length
        // measured the 20-byte link text, so the Range asked for bytes=20- while the bytes went to the end of the
        // linked file, and the hash check then threw the download away.
        byte[] data = Payload(200_000);
        await using var server = new LoopbackHttpServer(r => LoopbackResponse.Content(data, r));
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast);
        string dest = dir.Combine("file.bin");
        Directory.CreateDirectory(dir.Combine("big-disk"));
        await File.WriteAllBytesAsync(dir.Combine("big-disk", "file.part"), data[..70_000]);
        File.CreateSymbolicLink(dest + ".part", "big-disk/file.part");

        var result = await downloader.DownloadAsync(
            new DownloadRequest(new Uri(server.BaseUrl + "/file.bin"), dest, "file.bin", data.Length, Sha(data)),
            null, Bounded());

        Assert.Equal("bytes=70000-", Assert.Single(server.Requests).Header("Range"));
        Assert.Equal(70_000, result.ResumedFrom);
        Assert.Equal(130_000, result.BytesTransferred);
        Assert.Equal(data, await File.ReadAllBytesAsync(dest));
        Assert.False(File.Exists(dest + ".part"));
    }

    [Fact]
    public async Task ServerIgnoringRangeRestartsFromZero()
    {
        byte[] data = Payload(50_000);
        await using var server = new LoopbackHttpServer(r => LoopbackResponse.Content(data, r, honourRange: false));
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast);
        string dest = dir.Combine("file.bin");
        await File.WriteAllBytesAsync(dest + ".part", data[..20_000]);

        var result = await downloader.DownloadAsync(
            new DownloadRequest(new Uri(server.BaseUrl + "/f"), dest, "f", data.Length, Sha(data)), null, Bounded());

        Assert.True(result.RangeIgnored);
        Assert.Equal(0, result.ResumedFrom);
        Assert.Equal(data.Length, result.BytesTransferred);
        Assert.Equal(data, await File.ReadAllBytesAsync(dest));
    }

    [Fact]
    public async Task DroppedConnectionIsRetriedFromWhereItStopped()
    {
        byte[] data = Payload(400_000);
        int gets = 0;
        await using var server = new LoopbackHttpServer(r =>
            LoopbackResponse.Content(data, r, closeAfterBytes: Interlocked.Increment(ref gets) == 1 ? 150_000 : null));
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast);
        string dest = dir.Combine("file.bin");

        var result = await downloader.DownloadAsync(
            new DownloadRequest(new Uri(server.BaseUrl + "/f"), dest, "f", data.Length, Sha(data)), null, Bounded());

        Assert.Equal(2, result.Attempts);
        var second = server.Requests[1];
        Assert.NotNull(second.RangeStart);
        Assert.True(second.RangeStart > 0);
        Assert.Equal(second.RangeStart, result.ResumedFrom);
        Assert.Equal(data, await File.ReadAllBytesAsync(dest));
    }

    [Fact]
    public async Task HashMismatchDeletesTheBytesAndNamesFileUrlAndBothHashes()
    {
        byte[] data = Payload(10_000);
        string wrong = new('a', 64);
        await using var server = new LoopbackHttpServer(r => LoopbackResponse.Content(data, r));
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast);
        string dest = dir.Combine("x.jsonl");
        var url = new Uri(server.BaseUrl + "/data/x.jsonl");

        var e = await Assert.ThrowsAsync<DownloadVerificationException>(() =>
            downloader.DownloadAsync(new DownloadRequest(url, dest, "data/x.jsonl", data.Length, wrong), null,
                Bounded()));

        Assert.Equal("sha256", e.What);
        Assert.Contains("data/x.jsonl", e.Message);
        Assert.Contains(url.ToString(), e.Message);
        Assert.Contains(wrong, e.Message);
        Assert.Contains(Sha(data), e.Message);
        Assert.False(File.Exists(dest));
        Assert.False(File.Exists(dest + ".part"));
    }

    [Fact]
    public async Task SizeMismatchIsReportedBeforeTheHash()
    {
        byte[] data = Payload(1000);
        await using var server = new LoopbackHttpServer(r => LoopbackResponse.Content(data, r));
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast);

        var e = await Assert.ThrowsAsync<DownloadVerificationException>(() => downloader.DownloadAsync(
            new DownloadRequest(new Uri(server.BaseUrl + "/f"), dir.Combine("f"), "f", 999_999, null), null,
            Bounded()));

        Assert.Equal("size", e.What);
        Assert.Equal("999999", e.Expected);
        Assert.Equal("1000", e.Actual);
    }

    [Fact]
    public async Task RelativeRedirectIsFollowedAndAuthorizationDroppedWhenTheHostChanges()
    {
        byte[] data = Payload(5000);
        LoopbackHttpServer? server = null;
        server = new LoopbackHttpServer(r => r.Path switch
        {
            "/start" => LoopbackResponse.Redirect("/same-host"),
            // localhost and 127.0.0.1 reach the same server but are different hosts for the client.
            "/same-host" => LoopbackResponse.Redirect($"http://localhost:{server!.Port}/other-host"),
            "/other-host" => LoopbackResponse.Content(data, r),
            _ => LoopbackResponse.NotFound(),
        });
        await using var _ = server;
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast);

        await downloader.DownloadAsync(new DownloadRequest(new Uri(server.BaseUrl + "/start"), dir.Combine("f"), "f",
            data.Length, Sha(data), Authorization: new AuthenticationHeaderValue("Bearer", "secret")), null, Bounded());

        var byPath = server.Requests.ToDictionary(r => r.Path);
        Assert.Equal("Bearer secret", byPath["/start"].Header("Authorization"));
        Assert.Equal("Bearer secret", byPath["/same-host"].Header("Authorization"));
        Assert.Null(byPath["/other-host"].Header("Authorization"));
    }

    [Fact]
    public async Task NotFoundFailsAtOnceWithTheStatus()
    {
        await using var server = new LoopbackHttpServer(_ => LoopbackResponse.NotFound());
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast);

        var e = await Assert.ThrowsAsync<DownloadException>(() => downloader.DownloadAsync(
            new DownloadRequest(new Uri(server.BaseUrl + "/missing.json"), dir.Combine("m"), "missing.json"), null,
            Bounded()));

        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        Assert.Contains("missing.json", e.Message);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task CompletePartialFileIsVerifiedAndRenamedWithoutARequest()
    {
        byte[] data = Payload(4096);
        await using var server = new LoopbackHttpServer(r => LoopbackResponse.Content(data, r));
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast);
        string dest = dir.Combine("f");
        await File.WriteAllBytesAsync(dest + ".part", data);

        var result = await downloader.DownloadAsync(
            new DownloadRequest(new Uri(server.BaseUrl + "/f"), dest, "f", data.Length, Sha(data)), null, Bounded());

        Assert.Empty(server.Requests);
        Assert.Equal(0, result.BytesTransferred);
        Assert.Equal(data, await File.ReadAllBytesAsync(dest));
    }

    [Fact]
    public async Task ServerErrorsAreRetriedThenReportedKeepingThePartialFile()
    {
        await using var server = new LoopbackHttpServer(_ => LoopbackResponse.Text(503, "busy"));
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast with { MaxAttempts = 3 });

        var e = await Assert.ThrowsAsync<DownloadException>(() => downloader.DownloadAsync(
            new DownloadRequest(new Uri(server.BaseUrl + "/f"), dir.Combine("f"), "f"), null, Bounded()));

        Assert.Equal(3, server.Requests.Count);
        Assert.Contains("after 3 attempts", e.Message);
    }
}
