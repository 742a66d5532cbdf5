using KnPipeline.Stages.Downloads;
using KnPipeline.Stages.Models.Hub;
using KnPipeline.Tests.Downloads;
using Xunit;

namespace KnPipeline.Tests.Models.Hub;

public sealed class HubModelFetcherTests
{
    private static readonly FileDownloaderOptions Fast = new() { RetryDelay = TimeSpan.FromMilliseconds(20) };

    private static CancellationToken Bounded() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private static async Task<HubFetchResult> FetchAsync(FakeHub hub, EnvironmentVariables env, string? id = null)
    {
        using var downloader = new FileDownloader(Fast);
        var client = new HubClient(HubSettings.FromEnvironment(env), downloader);
        return await new HubModelFetcher(client).FetchAsync(HubModelReference.Parse(id ?? hub.RepoId), Bounded());
    }

    [Fact]
    public async Task FetchLaysOutBlobsSnapshotSymlinksAndRefsLikeHuggingFaceHub()
    {
        await using var hub = FakeHub.Tiny();
        using var dir = new TempDirectory();

        var result = await FetchAsync(hub, hub.Environment(dir.Path));

        string repo = dir.Combine("hub", "models--kn-test--tiny-gpt2");
        Assert.Equal(FakeHub.Commit, result.Commit);
        Assert.Equal(Path.Combine(repo, "snapshots", FakeHub.Commit), result.Path);
        Assert.Equal(["config.json", "model.safetensors", "vocab.json", "merges.txt"], result.Files);
        Assert.Equal(FakeHub.Commit, await File.ReadAllTextAsync(Path.Combine(repo, "refs", "main")));

        string weightsSha = TinyCheckpoint.Sha256(hub.Files["model.safetensors"]);
        string configEtag = TinyCheckpoint.GitBlobSha1(TinyCheckpoint.Config);
        Assert.Equal(hub.Files["model.safetensors"], await File.ReadAllBytesAsync(Path.Combine(repo, "blobs", weightsSha)));
        Assert.Equal(TinyCheckpoint.Config, await File.ReadAllBytesAsync(Path.Combine(repo, "blobs", configEtag)));
        Assert.Equal("../../blobs/" + weightsSha, new FileInfo(Path.Combine(result.Path, "model.safetensors")).LinkTarget);
        Assert.Equal("../../blobs/" + configEtag, new FileInfo(Path.Combine(result.Path, "config.json")).LinkTarget);
        Assert.Equal(hub.Files["merges.txt"], await File.ReadAllBytesAsync(Path.Combine(result.Path, "merges.txt")));
        Assert.True(File.Exists(Path.Combine(repo, ".no_exist", FakeHub.Commit, "tokenizer.json")));
        Assert.Empty(Directory.GetFiles(Path.Combine(repo, "blobs"), "*.incomplete"));
        // The weights came from the redirect target, not the resolve URL.
        Assert.Contains(hub.Gets, r => r.Path == "/lfs-cdn/" + weightsSha);
        Assert.DoesNotContain(hub.Gets, r => r.Path.EndsWith("/model.safetensors"));
    }

    [Fact]
    public async Task SecondFetchDownloadsNothing()
    {
        await using var hub = FakeHub.Tiny();
        using var dir = new TempDirectory();
        var env = hub.Environment(dir.Path);
        await FetchAsync(hub, env);
        int gets = hub.Gets.Count();

        var again = await FetchAsync(hub, env);

        Assert.Equal(gets, hub.Gets.Count());
        Assert.Equal((0, 0L), (again.FilesDownloaded, again.BytesDownloaded));
        Assert.Equal(4, again.Files.Count);
    }

    [Fact]
    public async Task OfflineResolvesFromTheCacheWithoutAnyRequest()
    {
        await using var hub = FakeHub.Tiny();
        using var dir = new TempDirectory();
        var fetched = await FetchAsync(hub, hub.Environment(dir.Path));
        int requests = hub.Server.Requests.Count;
        var offline = hub.Environment(dir.Path, ("HF_HUB_OFFLINE", "1"));

        var located = await ModelLocator.ResolveAsync(hub.RepoId, offline, ct: Bounded());
        var refetched = await FetchAsync(hub, offline);

        Assert.Equal(new ModelLocation(fetched.Path, FakeHub.Commit, hub.RepoId), located);
        Assert.Equal(fetched.Path, refetched.Path);
        Assert.Equal(requests, hub.Server.Requests.Count);
    }

    [Fact]
    public async Task TokenIsSentAsBearerToTheHubButNotToACdnOnAnotherHost()
    {
        await using var hub = new FakeHub("kn-test/tiny-gpt2", FakeHub.Tiny().Files.ToDictionary(), "model.safetensors")
            { CdnOnOtherHost = true };
        using var dir = new TempDirectory();

        await FetchAsync(hub, hub.Environment(dir.Path, ("HF_TOKEN", "hf_test_token")));

        var resolve = hub.Server.Requests.Where(r => r.Path.Contains("/resolve/")).ToList();
        Assert.NotEmpty(resolve);
        Assert.All(resolve, r => Assert.Equal("Bearer hf_test_token", r.Header("Authorization")));
        var cdn = Assert.Single(hub.Gets, r => r.Path.StartsWith("/lfs-cdn/"));
        Assert.StartsWith("localhost:", cdn.Header("Host"));
        Assert.Null(cdn.Header("Authorization"));
    }

    [Fact]
    public async Task InterruptedBlobDownloadResumesWithARangeRequest()
    {
        await using var hub = new FakeHub("kn-test/tiny-gpt2", FakeHub.Tiny().Files.ToDictionary(), "model.safetensors")
            { DropFirstLfsGetAfter = 20_000 };
        using var dir = new TempDirectory();

        var result = await FetchAsync(hub, hub.Environment(dir.Path));

        var cdn = hub.Gets.Where(r => r.Path.StartsWith("/lfs-cdn/")).ToList();
        Assert.Equal(2, cdn.Count);
        Assert.Null(cdn[0].Header("Range"));
        Assert.Equal("bytes=20000-", cdn[1].Header("Range"));
        Assert.Equal(hub.Files["model.safetensors"],
            await File.ReadAllBytesAsync(Path.Combine(result.Path, "model.safetensors")));
    }

    [Fact]
    public async Task IncompleteBlobLeftByAnEarlierRunIsResumed()
    {
        await using var hub = FakeHub.Tiny();
        using var dir = new TempDirectory();
        byte[] weights = hub.Files["model.safetensors"];
        string blobs = dir.Combine("hub", "models--kn-test--tiny-gpt2", "blobs");
        Directory.CreateDirectory(blobs);
        await File.WriteAllBytesAsync(Path.Combine(blobs, TinyCheckpoint.Sha256(weights) + ".incomplete"), weights[..5000]);

        var result = await FetchAsync(hub, hub.Environment(dir.Path));

        Assert.Equal("bytes=5000-", Assert.Single(hub.Gets, r => r.Path.StartsWith("/lfs-cdn/")).Header("Range"));
        Assert.Equal(weights, await File.ReadAllBytesAsync(Path.Combine(result.Path, "model.safetensors")));
    }

    [Fact]
    public async Task ShardedWeightsFetchTheIndexAndEveryShard()
    {
        byte[] a = TinyCheckpoint.Safetensors("h.0.w", 8, seed: 1), b = TinyCheckpoint.Safetensors("h.1.w", 8, seed: 2);
        byte[] index = """
            {"metadata": {},
             "weight_map": {"h.0.w": "model-00001-of-00002.safetensors", "h.1.w": "model-00002-of-00002.safetensors"}}
            """u8.ToArray();
        await using var hub = new FakeHub("org/sharded", new Dictionary<string, byte[]>
        {
            ["config.json"] = TinyCheckpoint.Config,
            ["model.safetensors.index.json"] = index,
            ["model-00001-of-00002.safetensors"] = a,
            ["model-00002-of-00002.safetensors"] = b,
            ["tokenizer.json"] = "{}"u8.ToArray(),
        }, "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors");
        using var dir = new TempDirectory();

        var result = await FetchAsync(hub, hub.Environment(dir.Path));

        Assert.Equal(["config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors",
            "model-00002-of-00002.safetensors", "tokenizer.json"], result.Files);
        Assert.Equal(b, await File.ReadAllBytesAsync(Path.Combine(result.Path, "model-00002-of-00002.safetensors")));
    }

    [Fact]
    public async Task MissingConfigOrWeightsIsAnErrorNamingTheFile()
    {
        await using var noConfig = new FakeHub("org/m", new Dictionary<string, byte[]> { ["model.safetensors"] = [1] });
        await using var noWeights = new FakeHub("org/m", new Dictionary<string, byte[]> { ["config.json"] = [1] });
        using var dir = new TempDirectory();

        var e1 = await Assert.ThrowsAsync<HubException>(() => FetchAsync(noConfig, noConfig.Environment(dir.Path), "org/m"));
        var e2 = await Assert.ThrowsAsync<HubException>(() => FetchAsync(noWeights, noWeights.Environment(dir.Path), "org/m"));

        Assert.Contains("config.json not found", e1.Message);
        Assert.Contains("model.safetensors or model.safetensors.index.json not found", e2.Message);
    }

    [Fact]
    public async Task UnknownRepositoryAndRevisionAreReportedAsSuch()
    {
        await using var hub = FakeHub.Tiny();
        using var dir = new TempDirectory();

        var repo = await Assert.ThrowsAsync<HubException>(() => FetchAsync(hub, hub.Environment(dir.Path), "other/model"));
        var rev = await Assert.ThrowsAsync<HubException>(() =>
            FetchAsync(hub, hub.Environment(dir.Path), hub.RepoId + "@v9"));

        Assert.Contains("repository other/model not found", repo.Message);
        Assert.Contains("no token is set (HF_TOKEN)", repo.Message);
        Assert.Contains("revision 'v9' not found", rev.Message);
    }

    [Fact]
    public async Task CorruptLfsBlobFailsItsSha256AndLeavesNoBlob()
    {
        await using var hub = new FakeHub("kn-test/tiny-gpt2", FakeHub.Tiny().Files.ToDictionary(), "model.safetensors")
            { ServeLfsAs = b => b.Select(x => (byte)~x).ToArray() };
        using var dir = new TempDirectory();

        var e = await Assert.ThrowsAsync<DownloadVerificationException>(() => FetchAsync(hub, hub.Environment(dir.Path)));

        string sha = TinyCheckpoint.Sha256(hub.Files["model.safetensors"]);
        Assert.Equal(sha, e.Expected);
        Assert.Contains("kn-test/tiny-gpt2/model.safetensors", e.Message);
        Assert.False(File.Exists(dir.Combine("hub", "models--kn-test--tiny-gpt2", "blobs", sha)));
    }

    [Fact]
    public async Task CommitRevisionWritesNoRef()
    {
        await using var hub = FakeHub.Tiny();
        using var dir = new TempDirectory();

        var result = await FetchAsync(hub, hub.Environment(dir.Path), $"{hub.RepoId}@{FakeHub.Commit}");

        Assert.Equal(FakeHub.Commit, result.Commit);
        Assert.False(Directory.Exists(dir.Combine("hub", "models--kn-test--tiny-gpt2", "refs")));
        Assert.Equal(result.Path,
            ModelLocator.Resolve($"{hub.RepoId}@{FakeHub.Commit}", hub.Environment(dir.Path)).LocalDir);
    }
}
