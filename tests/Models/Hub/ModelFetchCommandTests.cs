using System.Text.Json;
using KnPipeline.Cli;
using KnPipeline.Tests.Downloads;
using Xunit;

namespace KnPipeline.Tests.Models.Hub;

public sealed class ModelFetchCommandTests
{
    private static CancellationToken Bounded() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    [Fact]
    public async Task JsonOutputHasTheContractKeys()
    {
        await using var hub = FakeHub.Tiny();
        using var dir = new TempDirectory();
        var stdout = new StringWriter();

        int rc = await ModelFetchCommand.RunAsync(hub.RepoId, json: true, hub.Environment(dir.Path), stdout,
            new StringWriter(), Bounded());

        Assert.Equal(ExitCodes.Ok, rc);
        using var doc = JsonDocument.Parse(stdout.ToString());
        var root = doc.RootElement;
        Assert.Equal(["repo_id", "revision", "commit", "path", "files"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(hub.RepoId, root.GetProperty("repo_id").GetString());
        Assert.Equal("main", root.GetProperty("revision").GetString());
        Assert.Equal(FakeHub.Commit, root.GetProperty("commit").GetString());
        Assert.Equal(dir.Combine("hub", "models--kn-test--tiny-gpt2", "snapshots", FakeHub.Commit),
            root.GetProperty("path").GetString());
        Assert.Equal(["config.json", "model.safetensors", "vocab.json", "merges.txt"],
            root.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
    }

    [Fact]
    public async Task OfflineWithoutCacheExitsWithOne()
    {
        await using var hub = FakeHub.Tiny();
        using var dir = new TempDirectory();
        var stderr = new StringWriter();

        int rc = await ModelFetchCommand.RunAsync(hub.RepoId, json: false,
            hub.Environment(dir.Path, ("HF_HUB_OFFLINE", "1")), new StringWriter(), stderr, Bounded());

        Assert.Equal(ExitCodes.Failure, rc);
        Assert.Contains("HF_HUB_OFFLINE", stderr.ToString());
        Assert.Empty(hub.Server.Requests);
    }

    [Fact]
    public async Task BadIdIsAUsageError() =>
        await Assert.ThrowsAsync<UsageException>(() => ModelFetchCommand.RunAsync("a/b/c", false,
            Stages.Downloads.EnvironmentVariables.From(new Dictionary<string, string?>()), new StringWriter(),
            new StringWriter(), Bounded()));
}
