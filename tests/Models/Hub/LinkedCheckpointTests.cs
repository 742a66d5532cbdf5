using KnPipeline.Stages.Downloads;
using KnPipeline.Stages.Models;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Hub;
using KnPipeline.Tests.Downloads;
using KnPipeline.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace KnPipeline.Tests.Models.Hub;

/// <summary>
/// Checkpoints whose files are symbolic links, as every snapshot of a Hugging Face cache is, load with the same
/// logits as the plain folder. Before LinkedFiles, the safetensors reader took the link's length (76 bytes) for the
/// file's and every cached model failed with "header length ... does not fit a file of 76 bytes".
/// </summary>
[Collection("Torch")]
public sealed class LinkedCheckpointTests
{
    private static readonly int[] Ids = [3, 1, 4, 1, 5, 9, 2, 6];

    private static CancellationToken Bounded() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    /// <summary>A tiny GPT-2 with a byte-level tokenizer, saved as a plain Hugging Face folder.</summary>
    private static string PlainFolder(TempDirectory dir)
    {
        using var scope = NewDisposeScope();
        string saved = TinyModels.Save(TinyModels.Build("gpt2", seed: 11));
        string plain = dir.Combine("plain");
        Directory.Move(saved, plain);
        File.WriteAllBytes(Path.Combine(plain, "vocab.json"), TinyCheckpoint.Vocab);
        File.WriteAllBytes(Path.Combine(plain, "merges.txt"), TinyCheckpoint.Merges);
        return plain;
    }

    private static float[] Logits(LoadedModel m)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var inputs = new ForwardInputs { InputIds = tensor(Ids.Select(i => (long)i).ToArray()).unsqueeze(0) };
        return m.Model.Logits(inputs).data<float>().ToArray();
    }

    [Fact]
    public async Task FetchedCacheLoadsOfflineByHubIdWithThePlainFoldersLogits()
    {
        using var dir = new TempDirectory();
        string plain = PlainFolder(dir);
        var files = Directory.GetFiles(plain).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        // The first weights GET is cut short, so the .incomplete blob is resumed, and the cache is reached through
        // a linked folder, as when HF_HOME is a link to another disk.
        await using var hub = new FakeHub("kn-test/linked-gpt2", files, "model.safetensors")
            { DropFirstLfsGetAfter = 3000 };
        Directory.CreateDirectory(dir.Combine("disk", "hub"));
        Directory.CreateSymbolicLink(dir.Combine("home"), dir.Combine("disk"));
        var online = hub.Environment(dir.Path, ("HF_HUB_CACHE", dir.Combine("home", "hub")));
        var fast = new FileDownloaderOptions { RetryDelay = TimeSpan.FromMilliseconds(20) };
        using (var downloader = new FileDownloader(fast))
            await new HubModelFetcher(new HubClient(HubSettings.FromEnvironment(online), downloader))
                .FetchAsync(HubModelReference.Parse(hub.RepoId), Bounded());
        Assert.Equal("bytes=3000-", hub.Gets.Where(r => r.Path.StartsWith("/lfs-cdn/")).Last().Header("Range"));
        int requests = hub.Server.Requests.Count;

        var offline = hub.Environment(dir.Path, ("HF_HUB_CACHE", dir.Combine("home", "hub")), ("HF_HUB_OFFLINE", "1"));
        using var scope = NewDisposeScope();
        var cached = LoadedModel.Open(hub.RepoId, env: offline);
        var direct = LoadedModel.Open(plain);

        string weights = Path.Combine(cached.Location.LocalDir, "model.safetensors");
        Assert.StartsWith("../../blobs/", new FileInfo(weights).LinkTarget);
        Assert.Equal(FakeHub.Commit, cached.Location.Commit);
        Assert.Equal(hub.RepoId, cached.Location.RepoId);
        Assert.Equal(requests, hub.Server.Requests.Count);
        Assert.Equal(Logits(direct), Logits(cached));
        Assert.Equal(WeightEdit.Hash(direct.Model), WeightEdit.Hash(cached.Model));
        Assert.NotNull(cached.Tokenizer);
        Assert.Equal(direct.Tokenizer!.Encode("ab ba"), cached.Tokenizer.Encode("ab ba"));
        // The run manifest's weights hash is the same from the cache as from the plain folder.
        string[] Hashed(string d) => [.. ModelLoader.WeightFiles(d), Path.Combine(d, "config.json")];
        Assert.Equal(LinkedFiles.Sha256(Hashed(plain)), LinkedFiles.Sha256(Hashed(cached.Location.LocalDir)));
    }

    [Fact]
    public void FoldersOfRelativeAbsoluteAndFolderLinksLoadWithThePlainFoldersLogits()
    {
        using var dir = new TempDirectory();
        string plain = PlainFolder(dir);
        string relative = dir.Combine("relative"), absolute = dir.Combine("absolute"), folder = dir.Combine("folder");
        Directory.CreateDirectory(relative);
        Directory.CreateDirectory(absolute);
        foreach (string f in Directory.GetFiles(plain))
        {
            string name = Path.GetFileName(f);
            File.CreateSymbolicLink(Path.Combine(relative, name), Path.Combine("..", "plain", name));
            File.CreateSymbolicLink(Path.Combine(absolute, name), f);
        }
        Directory.CreateSymbolicLink(folder, plain);

        using var scope = NewDisposeScope();
        var direct = LoadedModel.Open(plain);
        float[] want = Logits(direct);
        foreach (string d in new[] { relative, absolute, folder })
        {
            var m = LoadedModel.Open(d);
            Assert.Equal(want, Logits(m));
            Assert.Equal(direct.Tokenizer!.Encode("ab ba"), m.Tokenizer!.Encode("ab ba"));
        }
    }

    [Fact]
    public void LinkWhoseBlobWasDeletedIsNamedWithItsTarget()
    {
        using var dir = new TempDirectory();
        string plain = PlainFolder(dir);
        string snapshot = dir.Combine("snapshot"), blobs = dir.Combine("blobs");
        Directory.CreateDirectory(snapshot);
        Directory.CreateDirectory(blobs);
        foreach (string f in Directory.GetFiles(plain))
        {
            string name = Path.GetFileName(f);
            File.Copy(f, Path.Combine(blobs, name + ".blob"));
            File.CreateSymbolicLink(Path.Combine(snapshot, name), $"../blobs/{name}.blob");
        }

        File.Delete(Path.Combine(blobs, "vocab.json.blob"));
        var tokenizer = Assert.Throws<FileNotFoundException>(() => LoadedModel.Open(snapshot));
        Assert.Contains(Path.Combine(snapshot, "vocab.json"), tokenizer.Message);
        Assert.Contains("../blobs/vocab.json.blob", tokenizer.Message);

        File.Delete(Path.Combine(blobs, "model.safetensors.blob"));
        var weights = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(snapshot));
        Assert.Contains("../blobs/model.safetensors.blob", weights.Message);
    }
}
