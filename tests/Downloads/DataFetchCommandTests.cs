using System.Text.Json;
using KnPipeline.Cli;
using KnPipeline.Stages.Downloads;
using Xunit;

namespace KnPipeline.Tests.Downloads;

public sealed class DataFetchCommandTests
{
    private static readonly Dictionary<string, byte[]> Files = new()
    {
        ["a/P1.jsonl"] = DatasetServer.Bytes(2000, 7),
        ["b.csv"] = DatasetServer.Bytes(500, 8),
    };

    private static CancellationToken Bounded() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private static string WriteManifest(TempDirectory dir, DatasetManifest manifest)
    {
        string path = dir.Combine("manifest.json");
        File.WriteAllText(path, JsonSerializer.Serialize(manifest));
        return path;
    }

    [Fact]
    public async Task JsonOutputHasTheContractKeysAndMirrorComesFromTheEnvironment()
    {
        var manifest = DatasetServer.Manifest("tiny", Files);
        await using var server = new LoopbackHttpServer(DatasetServer.For(manifest, p => Files[p]));
        using var dir = new TempDirectory();
        var env = EnvironmentVariables.From(new Dictionary<string, string?> { ["KN_DATA_MIRROR"] = server.BaseUrl });
        var stdout = new StringWriter();

        int rc = await DataFetchCommand.RunAsync(WriteManifest(dir, manifest), dir.Combine("data"), null, json: true,
            parallel: 2, env, stdout, new StringWriter(), Bounded());

        Assert.Equal(ExitCodes.Ok, rc);
        using var doc = JsonDocument.Parse(stdout.ToString());
        Assert.Equal(["name", "path", "files", "downloaded", "skipped", "bytes_downloaded", "unpacked"],
            doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("tiny", doc.RootElement.GetProperty("name").GetString());
        Assert.Equal(dir.Combine("data", "tiny"), doc.RootElement.GetProperty("path").GetString());
        Assert.Equal(2, doc.RootElement.GetProperty("downloaded").GetInt32());
        Assert.Equal(2500, doc.RootElement.GetProperty("bytes_downloaded").GetInt64());
        Assert.Equal(Files["b.csv"], await File.ReadAllBytesAsync(dir.Combine("data", "tiny", "b.csv")));
    }

    [Fact]
    public async Task ChecksumErrorExitsWithOneNamingTheFile()
    {
        var manifest = DatasetServer.Manifest("tiny", Files);
        await using var server =
            new LoopbackHttpServer(DatasetServer.For(manifest, p => p == "b.csv" ? new byte[500] : Files[p]));
        using var dir = new TempDirectory();
        var stderr = new StringWriter();

        int rc = await DataFetchCommand.RunAsync(WriteManifest(dir, manifest), dir.Combine("data"), server.BaseUrl,
            json: false, parallel: 1, EnvironmentVariables.From(new Dictionary<string, string?>()), new StringWriter(),
            stderr, Bounded());

        Assert.Equal(ExitCodes.Failure, rc);
        Assert.Contains("sha256 mismatch for b.csv", stderr.ToString());
        Assert.Contains(manifest.Files.Single(f => f.Path == "b.csv").Sha256!, stderr.ToString());
    }

    [Fact]
    public async Task UnknownDatasetOrBadMirrorIsAUsageError()
    {
        var env = EnvironmentVariables.From(new Dictionary<string, string?>());
        await Assert.ThrowsAsync<UsageException>(() => DataFetchCommand.RunAsync("no-such-dataset", "/tmp", null, false,
            1, env, new StringWriter(), new StringWriter(), Bounded()));
        await Assert.ThrowsAsync<UsageException>(() => DataFetchCommand.RunAsync("pararel", "/tmp", "not a url", false,
            1, env, new StringWriter(), new StringWriter(), Bounded()));
    }
}
