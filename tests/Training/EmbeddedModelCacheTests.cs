using System.Text.Json.Nodes;
using KnPipeline.Cli;
using KnPipeline.Stages.Training;
using Xunit;

namespace KnPipeline.Tests.Training;

/// <summary>
/// The cache around training: a second request finds the model, --force retrains, the key follows the options and the
/// data but not the cache folder, a cancelled training leaves nothing behind, and the CLI prints its JSON contract.
/// Runs on a two-language, two-relation copy of the benchmark with a one-layer model, so each training takes seconds.
/// </summary>
[Collection("Torch")]
public sealed class EmbeddedModelCacheTests : IDisposable
{
    private readonly TrainingTempDir _tmp = new();
    private readonly string _bench;

    public EmbeddedModelCacheTests()
    {
        _bench = TrainingFixtures.WriteSmallBenchmark(_tmp.Sub("bench"));
    }

    public void Dispose() => _tmp.Dispose();

    private KnPipeline.Stages.Options.EmbeddedModelOptions Options() =>
        TrainingFixtures.SmallOptions(cacheDir: _tmp.Sub("cache"));

    [Fact]
    public void ASecondRequestUsesTheCacheAndForceRetrains()
    {
        var (dir, first) = EmbeddedModel.EnsureTrained(Options(), _bench);
        Assert.Equal(Path.Combine(_tmp.Sub("cache"), first.CacheKey[..EmbeddedModel.KeyLength]), dir);
        Assert.True(EmbeddedModel.IsComplete(dir));
        var written = File.GetLastWriteTimeUtc(Path.Combine(dir, "model.safetensors"));

        var (again, cached) = EmbeddedModel.EnsureTrained(Options(), _bench);
        Assert.Equal(dir, again);
        Assert.Equal(first.Seconds, cached.Seconds);
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(dir, "model.safetensors")));

        var (forced, _) = EmbeddedModel.EnsureTrained(Options(), _bench, force: true);
        Assert.Equal(dir, forced);
        Assert.NotEqual(written, File.GetLastWriteTimeUtc(Path.Combine(dir, "model.safetensors")));
        Assert.Equal([Path.GetFileName(dir)], Directory.GetDirectories(_tmp.Sub("cache")).Select(Path.GetFileName));
    }

    [Fact]
    public void AnEntryOfLinksIsCompleteOnlyWhileTheirFilesExist()
    {
        string files = _tmp.Sub("files"), entry = _tmp.Sub("entry");
        Directory.CreateDirectory(files);
        Directory.CreateDirectory(entry);
        foreach (string name in new[] { "training.json", "model.safetensors" })
        {
            File.WriteAllText(Path.Combine(files, name), "{}");
            File.CreateSymbolicLink(Path.Combine(entry, name), Path.Combine("..", "files", name));
        }
        Assert.True(EmbeddedModel.IsComplete(entry));

        // File.Exists would still say yes for the dangling link, and the run would fail loading instead of retraining.
        File.Delete(Path.Combine(files, "model.safetensors"));
        Assert.False(EmbeddedModel.IsComplete(entry));
    }

    [Fact]
    public void TheKeyFollowsOptionsAndDataButNotTheCacheFolder()
    {
        var scope = EmbeddedTrainingScope.Full;
        string key = EmbeddedModel.CacheKey(Options(), _bench, scope);
        var moved = Options();
        moved.CacheDir = "/somewhere/else";
        Assert.Equal(key, EmbeddedModel.CacheKey(moved, _bench, scope));
        var reseeded = Options();
        reseeded.Seed++;
        Assert.NotEqual(key, EmbeddedModel.CacheKey(reseeded, _bench, scope));
        Assert.NotEqual(key, EmbeddedModel.CacheKey(Options(), _bench, scope with { MaxSteps = 5 }));

        File.AppendAllText(Path.Combine(_bench, "facts", "en.jsonl"),
            "{\"fact_id\": \"P36-999\", \"relation\": \"P36\", \"subject\": \"Atlantis\", " +
            "\"object\": \"Poseidonia\", \"aliases\": []}\n");
        Assert.NotEqual(key, EmbeddedModel.CacheKey(Options(), _bench, scope));
    }

    [Fact]
    public void ACancelledTrainingLeavesNoFolderBehind()
    {
        using var cts = new CancellationTokenSource();
        var cancelAfterFirstStep = new Progress(p =>
        {
            if (p.Step >= 1)
                cts.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            EmbeddedModel.EnsureTrained(Options(), _bench, progress: cancelAfterFirstStep, ct: cts.Token));
        Assert.Empty(Directory.GetFileSystemEntries(_tmp.Sub("cache")));
    }

    [Fact]
    public void FoldersOfKilledTrainingsAreRemovedByTheNextOne()
    {
        // A process id that cannot exist marks the folder's owner as gone; a live one (ours) must be left alone.
        string dead = Path.Combine(_tmp.Sub("cache"), $".tmp-0123456789abcdef-{int.MaxValue}-0");
        string live = Path.Combine(_tmp.Sub("cache"), $".tmp-0123456789abcdef-{Environment.ProcessId}-0");
        Directory.CreateDirectory(dead);
        Directory.CreateDirectory(live);
        File.WriteAllText(Path.Combine(dead, "model.safetensors"), "half");
        EmbeddedModel.EnsureTrained(Options(), _bench);
        Assert.False(Directory.Exists(dead));
        Assert.True(Directory.Exists(live));
    }

    [Fact]
    public void TheCommandPrintsExactlyTheJsonContract()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = TrainEmbeddedCommand.Run(Options(), force: false, json: true, stdout, stderr,
            CancellationToken.None, _bench);
        Assert.Equal(ExitCodes.Ok, code);
        var o = JsonNode.Parse(stdout.ToString())!.AsObject();
        Assert.Equal(["model_dir", "seconds", "accuracy"], o.Select(kv => kv.Key).ToArray());
        Assert.True(Directory.Exists((string?)o["model_dir"]));
        Assert.True((double)o["seconds"]! > 0);
        var accuracy = o["accuracy"]!.AsObject();
        Assert.Equal(["en", "ja"], accuracy.Select(kv => kv.Key).ToArray());
        foreach (var (_, a) in accuracy)
        {
            Assert.Equal(
                [
                    "train", "heldout", "heldout_all", "baseline", "train_alias", "heldout_alias", "heldout_all_alias",
                    "crosslingual", "crosslingual_all", "crosslingual_baseline", "crosslingual_same_script",
                    "crosslingual_cross_script", "crosslingual_ja_zh", "crosslingual_queries",
                    "crosslingual_all_queries", "crosslingual_same_script_queries",
                    "crosslingual_cross_script_queries", "crosslingual_ja_zh_queries",
                ],
                a!.AsObject().Select(kv => kv.Key).ToArray());
            Assert.InRange((double)a["train"]!, 0, 1);
        }
        Assert.Contains("training [", stderr.ToString());

        // Cached now: the human table names the folder last and reports the stored training time.
        var table = new StringWriter();
        Assert.Equal(ExitCodes.Ok, TrainEmbeddedCommand.Run(Options(), false, false, table, new StringWriter(),
                                                             CancellationToken.None, _bench));
        var lines = table.ToString().TrimEnd().Split('\n');
        Assert.Equal($"model: {(string?)o["model_dir"]}", lines[^1]);
        Assert.Contains(lines, l => l.StartsWith("ja ", StringComparison.Ordinal));
    }

    [Fact]
    public void RelativeCacheDirsResolveAgainstTheRepositoryRoot()
    {
        string inside = Path.Combine(TrainingFixtures.BenchmarkDir, "facts");
        string root = Path.GetFullPath(Path.Combine(TrainingFixtures.BenchmarkDir, "..", ".."));
        Assert.Equal(Path.Combine(root, ".cache", "m"), RepoPaths.ResolveCacheDir(".cache/m", inside));
        Assert.Equal(Path.Combine(_tmp.Path, ".cache", "m"), RepoPaths.ResolveCacheDir(".cache/m", _tmp.Path));
        Assert.Equal("/abs/m", RepoPaths.ResolveCacheDir("/abs/m", inside));
    }

    /// <summary>A synchronous IProgress (System.Progress posts to the thread pool, too late to cancel in
    /// time).</summary>
    private sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
