using System.Net;
using System.Net.Sockets;
using KnPipeline.Stages.Downloads;
using KnPipeline.Stages.Models.Hub;
using KnPipeline.Tests.Downloads;
using Xunit;

namespace KnPipeline.Tests.Models.Hub;

public sealed class ModelLocatorTests
{
    private const string Commit = "a9c1b7f3e5d2c4b6a8e0f1d3c5b7a9e1f3d5c7b9";

    private static EnvironmentVariables Env(params (string, string?)[] values) =>
        EnvironmentVariables.From(values.ToDictionary(v => v.Item1, v => v.Item2));

    /// <summary>Lays out a cache entry exactly as Python's huggingface_hub does: blobs named by etag, relative
    /// symlinks in snapshots/&lt;commit&gt;, and refs/main holding the commit without a newline.</summary>
    private static string LayOutLikePython(string hubCache, string folder)
    {
        string repo = Path.Combine(hubCache, folder);
        string blobs = Path.Combine(repo, "blobs"), snapshot = Path.Combine(repo, "snapshots", Commit);
        Directory.CreateDirectory(blobs);
        Directory.CreateDirectory(snapshot);
        byte[] weights = TinyCheckpoint.Safetensors(rows: 4);
        foreach (var (name, bytes, etag) in new[]
                 {
                     ("config.json", TinyCheckpoint.Config, TinyCheckpoint.GitBlobSha1(TinyCheckpoint.Config)),
                     ("model.safetensors", weights, TinyCheckpoint.Sha256(weights)),
                 })
        {
            File.WriteAllBytes(Path.Combine(blobs, etag), bytes);
            File.CreateSymbolicLink(Path.Combine(snapshot, name), "../../blobs/" + etag);
        }
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), Commit);
        return snapshot;
    }

    [Fact]
    public void ExistingFolderIsUsedAsIs()
    {
        using var dir = new TempDirectory();

        var location = ModelLocator.Resolve(dir.Path, Env());

        Assert.Equal(new ModelLocation(dir.Path, null, null), location);
    }

    [Fact]
    public void CacheLaidOutByPythonIsReused()
    {
        using var dir = new TempDirectory();
        string snapshot = LayOutLikePython(dir.Combine("hf", "hub"), "models--openai-community--gpt2");

        // HF_HOME alone: the cache is $HF_HOME/hub.
        var location = ModelLocator.Resolve("openai-community/gpt2", Env(("HF_HOME", dir.Combine("hf"))));

        Assert.Equal(new ModelLocation(snapshot, Commit, "openai-community/gpt2"), location);
        Assert.Equal(TinyCheckpoint.Config, File.ReadAllBytes(Path.Combine(location.LocalDir, "config.json")));
    }

    [Fact]
    public void SingleNameIdAndCommitRevisionResolveFromTheCache()
    {
        using var dir = new TempDirectory();
        string snapshot = LayOutLikePython(dir.Path, "models--gpt2");
        var env = Env(("HF_HUB_CACHE", dir.Path), ("HF_HUB_OFFLINE", "1"));

        Assert.Equal(snapshot, ModelLocator.Resolve("gpt2", env).LocalDir);
        Directory.Delete(Path.Combine(dir.Path, "models--gpt2", "refs"), recursive: true);
        Assert.Equal(snapshot, ModelLocator.Resolve($"gpt2@{Commit}", env).LocalDir);
    }

    [Fact]
    public async Task OfflineWithoutACachedCopyFailsNamingTheCacheAndTheFlag()
    {
        using var dir = new TempDirectory();
        var env = Env(("HF_HUB_CACHE", dir.Path), ("HF_HUB_OFFLINE", "true"));

        var e = await Assert.ThrowsAsync<HubException>(() => ModelLocator.ResolveAsync("org/absent", env));

        Assert.Contains("org/absent is not in the Hugging Face cache " + dir.Path, e.Message);
        Assert.Contains("HF_HUB_OFFLINE", e.Message);
        Assert.Contains(Path.Combine("models--org--absent", "refs", "main"), e.Message);
    }

    [Fact]
    public void SnapshotWithoutWeightsIsReported()
    {
        using var dir = new TempDirectory();
        string snapshot = LayOutLikePython(dir.Path, "models--org--m");
        File.Delete(Path.Combine(snapshot, "model.safetensors"));

        var e = Assert.Throws<HubException>(() => ModelLocator.Resolve("org/m", Env(("HF_HUB_CACHE", dir.Path))));

        Assert.Contains("has no model.safetensors", e.Message);
    }

    [Fact]
    public void SnapshotLinkWhoseBlobWasDeletedIsReported()
    {
        using var dir = new TempDirectory();
        LayOutLikePython(dir.Path, "models--org--m");
        File.Delete(Path.Combine(dir.Path, "models--org--m", "blobs", TinyCheckpoint.GitBlobSha1(TinyCheckpoint.Config)));

        var e = Assert.Throws<HubException>(() => ModelLocator.Resolve("org/m", Env(("HF_HUB_CACHE", dir.Path))));

        Assert.Contains("has no config.json", e.Message);
    }

    [Fact]
    public void TextThatIsNeitherAFolderNorAnIdIsRejected()
    {
        var e = Assert.Throws<HubException>(() => ModelLocator.Resolve("./no/such/folder", Env()));

        Assert.Contains("neither an existing folder nor a Hub model id", e.Message);
    }

    [Fact]
    public async Task UnreachableHubFallsBackToTheCachedCopy()
    {
        using var dir = new TempDirectory();
        string snapshot = LayOutLikePython(dir.Path, "models--org--m");
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        int port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();  // nothing listens there now: connections are refused
        var env = Env(("HF_HUB_CACHE", dir.Path), ("HF_ENDPOINT", $"http://127.0.0.1:{port}"));

        var location = await ModelLocator.ResolveAsync("org/m", env,
            ct: new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);

        Assert.Equal(new ModelLocation(snapshot, Commit, "org/m"), location);
    }
}
