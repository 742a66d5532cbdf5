using System.IO.Compression;
using System.Text;
using KnPipeline.Stages.Downloads;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Downloads;

public sealed class DatasetFetcherTests
{
    private static readonly FileDownloaderOptions Fast = new() { RetryDelay = TimeSpan.FromMilliseconds(20) };

    private static CancellationToken Bounded() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    private static readonly Dictionary<string, byte[]> Files = new()
    {
        ["patterns/en/P17.jsonl"] = DatasetServer.Bytes(30_000, 1),
        ["patterns/fr/P17.jsonl"] = DatasetServer.Bytes(12_345, 2),
        ["facts.jsonl"] = DatasetServer.Bytes(777, 3),
    };

    [SharedFact("data/pararel/graphs_json", "data/pararel/trex_lms_vocab")]
    public async Task PararelFetchedFromMirrorIsByteIdenticalToTheSharedCopyAndRefetchDownloadsNothing()
    {
        var manifest = DatasetManifest.Load(Path.Combine(SharedData.RepoRoot, "benchmarks-data", "downloads", "pararel.json"));
        await using var server = new LoopbackHttpServer(
            DatasetServer.For(manifest, path => File.ReadAllBytes(SharedData.Path("data", "pararel", path))));
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast);
        var fetcher = new DatasetFetcher(downloader);

        var first = await fetcher.FetchAsync(manifest, dir.Path, server.BaseUrl, Bounded());

        Assert.Equal(80, first.Files);
        Assert.Equal(80, first.Downloaded);
        Assert.Equal(dir.Combine("pararel"), first.Path);
        foreach (var f in manifest.Files)
            Assert.Equal(await File.ReadAllBytesAsync(SharedData.Path("data", "pararel", f.Path)),
                await File.ReadAllBytesAsync(Path.Combine(first.Path, f.Path)));
        Assert.Empty(Directory.EnumerateFiles(first.Path, "*.part", SearchOption.AllDirectories));
        // Requests went to the manifest's URL paths, under the mirror.
        Assert.Contains(server.Requests, r =>
            r.Path == "/yanaiela/pararel/cb5554678457beb5ac163d888f1ce8cf174b3f0b/data/pattern_data/graphs_json/P17.jsonl");

        int before = server.Requests.Count;
        var second = await fetcher.FetchAsync(manifest, dir.Path, server.BaseUrl, Bounded());
        Assert.Equal(0, second.Downloaded);
        Assert.Equal(80, second.Skipped);
        Assert.Equal(before, server.Requests.Count);
    }

    [Fact]
    public async Task CorruptedFileOnTheServerFailsWithAChecksumErrorNamingIt()
    {
        var manifest = DatasetServer.Manifest("synthetic", Files);
        await using var server = new LoopbackHttpServer(DatasetServer.For(manifest, path =>
        {
            byte[] b = (byte[])Files[path].Clone();
            if (path == "patterns/fr/P17.jsonl") b[100] ^= 0xFF;
            return b;
        }));
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast);

        var e = await Assert.ThrowsAsync<DownloadVerificationException>(() =>
            new DatasetFetcher(downloader).FetchAsync(manifest, dir.Path, server.BaseUrl, Bounded()));

        Assert.Equal("patterns/fr/P17.jsonl", e.File);
        Assert.Contains("patterns/fr/P17.jsonl", e.Message);
        Assert.Contains(manifest.Files.Single(f => f.Path == e.File).Sha256!, e.Message);
        Assert.False(File.Exists(dir.Combine("synthetic", "patterns", "fr", "P17.jsonl")));
        Assert.False(File.Exists(dir.Combine("synthetic", "patterns", "fr", "P17.jsonl.part")));
    }

    [Fact]
    public async Task PartialFileIsResumedWithARangeRequest()
    {
        var manifest = DatasetServer.Manifest("synthetic", Files);
        await using var server = new LoopbackHttpServer(DatasetServer.For(manifest, p => Files[p]));
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast);
        string target = dir.Combine("synthetic", "patterns", "en", "P17.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await File.WriteAllBytesAsync(target + ".part", Files["patterns/en/P17.jsonl"][..12_000]);

        var result = await new DatasetFetcher(downloader).FetchAsync(manifest, dir.Path, server.BaseUrl, Bounded());

        var resumed = Assert.Single(server.Requests, r => r.Path.EndsWith("/patterns/en/P17.jsonl"));
        Assert.Equal("bytes=12000-", resumed.Header("Range"));
        Assert.Equal(Files["patterns/en/P17.jsonl"], await File.ReadAllBytesAsync(target));
        Assert.Equal(30_000 - 12_000 + 12_345 + 777, result.BytesDownloaded);
    }

    [Fact]
    public async Task FileWithAWrongHashOnDiskIsDownloadedAgain()
    {
        var manifest = DatasetServer.Manifest("synthetic", Files);
        await using var server = new LoopbackHttpServer(DatasetServer.For(manifest, p => Files[p]));
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast);
        var fetcher = new DatasetFetcher(downloader);
        await fetcher.FetchAsync(manifest, dir.Path, server.BaseUrl, Bounded());
        string facts = dir.Combine("synthetic", "facts.jsonl");
        await File.WriteAllTextAsync(facts, new string('x', 777));

        var again = await fetcher.FetchAsync(manifest, dir.Path, server.BaseUrl, Bounded());

        Assert.Equal(1, again.Downloaded);
        Assert.Equal(2, again.Skipped);
        Assert.Equal(Files["facts.jsonl"], await File.ReadAllBytesAsync(facts));
    }

    [Fact]
    public async Task ZipArchiveIsUnpackedAndItsHashTrustedOnFirstUse()
    {
        byte[] zip = Zip(("mlama1.1/en/templates.jsonl", "{\"relation\": \"P17\"}\n"), ("mlama1.1/fr/P17.jsonl", "{}\n"));
        byte[] served = zip;
        var manifest = new DatasetManifest
        {
            Name = "mlama",
            Files = [new DatasetManifestFile
            {
                Path = "mlama1.1.zip", Url = "http://cistern.example/mlama/mlama1.1.zip", Unpack = "zip", StripComponents = 1,
            }],
        };
        await using var server = new LoopbackHttpServer(DatasetServer.For(manifest, _ => served));
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast);
        var fetcher = new DatasetFetcher(downloader);

        var first = await fetcher.FetchAsync(manifest, dir.Path, server.BaseUrl, Bounded());

        Assert.Equal(2, first.Unpacked);
        Assert.Equal("{\"relation\": \"P17\"}\n", await File.ReadAllTextAsync(dir.Combine("mlama", "en", "templates.jsonl")));
        Assert.Equal("{}\n", await File.ReadAllTextAsync(dir.Combine("mlama", "fr", "P17.jsonl")));
        Assert.False(Directory.Exists(dir.Combine("mlama", ".downloads")));
        var record = FetchRecord.Read(dir.Combine("mlama"))!;
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(zip)),
            record.Find("mlama1.1.zip")!.Sha256);

        // Unpacked files intact: nothing is downloaded again.
        int requests = server.Requests.Count;
        var second = await fetcher.FetchAsync(manifest, dir.Path, server.BaseUrl, Bounded());
        Assert.Equal((0, 1), (second.Downloaded, second.Skipped));
        Assert.Equal(requests, server.Requests.Count);

        // A file lost and the archive changed upstream: the recorded hash refuses the new archive.
        File.Delete(dir.Combine("mlama", "fr", "P17.jsonl"));
        served = Zip(("mlama1.1/en/templates.jsonl", "changed\n"));
        var e = await Assert.ThrowsAsync<DownloadException>(() =>
            fetcher.FetchAsync(manifest, dir.Path, server.BaseUrl, Bounded()));
        Assert.Contains("mlama1.1.zip", e.Message);
        Assert.Contains(FetchRecord.FileName, e.Message);
    }

    [Fact]
    public async Task TarGzArchiveIsUnpacked()
    {
        using var dir = new TempDirectory();
        string source = dir.Combine("src");
        Directory.CreateDirectory(Path.Combine(source, "top", "de"));
        await File.WriteAllTextAsync(Path.Combine(source, "top", "de", "P19.jsonl"), "{\"sub_label\": \"x\"}\n");
        var tgz = new MemoryStream();
        await using (var gz = new GZipStream(tgz, CompressionLevel.Fastest, leaveOpen: true))
            await System.Formats.Tar.TarFile.CreateFromDirectoryAsync(source, gz, includeBaseDirectory: false);
        byte[] archive = tgz.ToArray();
        var manifest = new DatasetManifest
        {
            Name = "tgz",
            Files = [new DatasetManifestFile
                { Path = "d.tar.gz", Url = "https://example.org/d.tar.gz", Unpack = "tar.gz", StripComponents = 1 }],
        };
        await using var server = new LoopbackHttpServer(DatasetServer.For(manifest, _ => archive));
        using var downloader = new FileDownloader(Fast);

        await new DatasetFetcher(downloader).FetchAsync(manifest, dir.Combine("out"), server.BaseUrl, Bounded());

        Assert.Equal("{\"sub_label\": \"x\"}\n", await File.ReadAllTextAsync(dir.Combine("out", "tgz", "de", "P19.jsonl")));
    }

    [Fact]
    public async Task ArchiveEntryEscapingTheFolderIsRefused()
    {
        byte[] zip = Zip(("top/../../evil.txt", "x"));
        var manifest = new DatasetManifest
        {
            Name = "evil",
            Files = [new DatasetManifestFile { Path = "e.zip", Url = "https://example.org/e.zip", Unpack = "zip" }],
        };
        await using var server = new LoopbackHttpServer(DatasetServer.For(manifest, _ => zip));
        using var dir = new TempDirectory();
        using var downloader = new FileDownloader(Fast);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() =>
            new DatasetFetcher(downloader).FetchAsync(manifest, dir.Combine("out"), server.BaseUrl, Bounded()));

        Assert.Contains("evil.txt", e.Message);
        Assert.False(File.Exists(dir.Combine("evil.txt")));
    }

    internal static byte[] Zip(params (string Name, string Text)[] entries)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, text) in entries)
            {
                using var w = zip.CreateEntry(name).Open();
                w.Write(Encoding.UTF8.GetBytes(text));
            }
        return ms.ToArray();
    }
}
