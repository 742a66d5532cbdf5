using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Options;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Training;

/// <summary>
/// The embedded fact model: a small GPT-2 trained on the embedded benchmark, cached in
/// <c>&lt;cache_dir&gt;/&lt;key&gt;/</c> as a Hugging Face folder (config.json, model.safetensors with the tied head,
/// vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json) plus training.json. The key is the first
/// 16 hex digits of SHA-256 over <see cref="CodeVersion"/>, the <c>embedded_model</c> options without cache_dir (where
/// a model is stored does not change it) and every benchmark data file's name and contents. A folder is built in a
/// temporary sibling and renamed into place, so a killed training never leaves a half model behind.
/// </summary>
public static class EmbeddedModel
{
    /// <summary>Bump when the tokenizer, corpus or training code changes what a given configuration produces.</summary>
    public const string CodeVersion = "embedded-gpt2/1";

    public const int KeyLength = 16;

    /// <summary>
    /// Returns the cached model for <paramref name="options"/> and the benchmark in <paramref name="benchmarkDir"/>,
    /// training it first when the cache lacks it or <paramref name="force"/> is set.
    /// </summary>
    public static (string ModelDir, TrainingReport Report) EnsureTrained(EmbeddedModelOptions options, string benchmarkDir,
        bool force = false, IProgress<TrainingProgress>? progress = null, CancellationToken ct = default)
    {
        if (options.MaskedTwin)
            throw new NotSupportedException(
                "embedded_model.masked_twin: true is not implemented yet; only the causal (GPT-2) embedded model can be trained");
        var scope = EmbeddedTrainingScope.Full;
        string key = CacheKey(options, benchmarkDir, scope);
        string root = RepoPaths.ResolveCacheDir(options.CacheDir);
        string dir = Path.Combine(root, key[..KeyLength]);
        if (!force && IsComplete(dir))
        {
            var cached = TrainingReport.Load(dir);
            if (cached.CacheKey == key)
            {
                progress?.Report(Message($"embedded model: cached in {dir}"));
                return (dir, cached);
            }
        }
        Directory.CreateDirectory(root);
        RemoveAbandoned(root);
        string temp = Path.Combine(root, $".tmp-{key[..KeyLength]}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var report = TrainTo(temp, options, benchmarkDir, scope, progress, ct);
            Publish(temp, dir, force);
            return (dir, IsComplete(dir) ? TrainingReport.Load(dir) : report);
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>
    /// Trains a model into <paramref name="outputDir"/> (created; files overwritten) and evaluates the saved folder.
    /// No caching: <see cref="EnsureTrained"/> wraps this. Tests call it with a reduced <paramref name="scope"/>.
    /// </summary>
    public static TrainingReport TrainTo(string outputDir, EmbeddedModelOptions options, string benchmarkDir,
        EmbeddedTrainingScope scope, IProgress<TrainingProgress>? progress = null, CancellationToken ct = default)
    {
        var errors = options.Validate().ToList();
        if (errors.Count > 0)
            throw new ArgumentException("invalid embedded_model options: " + string.Join("; ", errors.Select(e => e.ToString())), nameof(options));
        var clock = Stopwatch.StartNew();
        string key = CacheKey(options, benchmarkDir, scope);
        var benchmark = EmbeddedBenchmark.Load(benchmarkDir, scope.Languages, scope.Relations);
        var corpus = TrainingCorpus.Build(benchmark, options.FillerFraction, options.Seed);
        var bpe = new BpeTrainer { MaxMerges = scope.MaxMerges }.Train(corpus.TokenizerWordCounts());
        var rows = corpus.Rows(bpe);
        if (rows.Count == 0)
            throw new ArgumentException($"{benchmark.Directory}: no training sentences in the chosen languages and relations");
        int longest = rows.Max(r => r.Ids.Length);
        if (longest > scope.MaxPositions)
            throw new InvalidDataException(
                $"{benchmark.Directory}: a training sentence is {longest} tokens long, more than the model's {scope.MaxPositions} positions");
        progress?.Report(Message(string.Create(CultureInfo.InvariantCulture,
            $"embedded model: {corpus.TrainStatements.Count()} fact sentences + {corpus.Filler.Count} filler in " +
            $"{benchmark.Languages.Count} languages, {rows.Sum(r => r.Ids.Length)} tokens; tokenizer {bpe.Merges.Count} " +
            $"merges, vocabulary {bpe.VocabSize} ({clock.Elapsed.TotalSeconds:F1} s)")));

        var stopping = Probe(corpus, bpe, scope.AccuracySamplePerLanguage, options.Seed);
        var configJson = EmbeddedTrainer.ModelConfigJson(options, bpe.VocabSize, bpe.EndOfTextId, scope.MaxPositions);
        var config = ModelConfig.Parse(configJson, "embedded model config");

        int threadsBefore = get_num_threads();
        int threads = scope.Threads ?? EmbeddedTrainingScope.DefaultThreads;
        set_num_threads(threads);
        try
        {
            var (model, stats) = EmbeddedTrainer.Train(rows, stopping, config, bpe.EndOfTextId, options, scope, progress, ct);
            using (model)
            {
                Directory.CreateDirectory(outputDir);
                File.WriteAllText(Path.Combine(outputDir, "config.json"),
                    configJson.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
                SafetensorsFile.Write(Path.Combine(outputDir, "model.safetensors"),
                    model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)),
                    new Dictionary<string, string> { ["format"] = "pt" });
                bpe.Save(outputDir, scope.MaxPositions);
                progress?.Report(Message($"embedded model: weights {WeightEdit.Hash(model)[..16]}, evaluating the saved folder"));
            }
            IReadOnlyDictionary<string, LanguageAccuracy> accuracy;
            using (var evaluator = new EmbeddedModelEvaluator(outputDir))
                accuracy = evaluator.Evaluate(benchmark);
            var report = new TrainingReport
            {
                Seconds = clock.Elapsed.TotalSeconds,
                Epochs = stats.Epochs,
                Steps = stats.Steps,
                FinalLoss = stats.FinalLoss,
                Accuracy = accuracy,
                DataHash = DataHash(benchmarkDir),
                CacheKey = key,
                Options = JsonNode.Parse(OptionsJson.Canonical(options))!.AsObject(),
                Details = Details(stats, scope, corpus, rows, bpe, config, threads),
            };
            report.Save(outputDir);
            return report;
        }
        finally
        {
            set_num_threads(threadsBefore);
        }
    }

    /// <summary>The full cache key (64 hex digits); the folder name is its first <see cref="KeyLength"/>.</summary>
    public static string CacheKey(EmbeddedModelOptions options, string benchmarkDir, EmbeddedTrainingScope scope)
    {
        var o = JsonNode.Parse(OptionsJson.Canonical(options))!.AsObject();
        o.Remove("cache_dir");
        var text = new StringBuilder();
        text.Append("code ").Append(CodeVersion).Append('\n');
        text.Append("options ").Append(o.ToJsonString()).Append('\n');
        if (!scope.IsFull)
            text.Append("scope ").Append(ScopeJson(scope).ToJsonString()).Append('\n');
        text.Append("data ").Append(DataHash(benchmarkDir)).Append('\n');
        return Sha256(text.ToString());
    }

    /// <summary>SHA-256 over the benchmark data files' names (relative) and contents.</summary>
    public static string DataHash(string benchmarkDir)
    {
        string full = Path.GetFullPath(benchmarkDir);
        var text = new StringBuilder();
        foreach (string f in EmbeddedBenchmark.DataFiles(full))
        {
            if (!File.Exists(f))
                throw new InvalidDataException($"{f}: benchmark file not found");
            string rel = Path.GetRelativePath(full, f).Replace('\\', '/');
            text.Append(rel).Append(' ').Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))).Append('\n');
        }
        return Sha256(text.ToString());
    }

    /// <summary>True when <paramref name="dir"/> holds a finished model (training.json is written last).</summary>
    public static bool IsComplete(string dir) =>
        File.Exists(Path.Combine(dir, TrainingReport.FileName)) && File.Exists(Path.Combine(dir, "model.safetensors"));

    private static void Publish(string temp, string dir, bool force)
    {
        if (Directory.Exists(dir))
        {
            if (!force && IsComplete(dir))
                return; // another process finished the same model first; keep its folder
            string old = dir + $".old-{Environment.ProcessId}-{Guid.NewGuid():N}";
            Directory.Move(dir, old);
            Directory.Move(temp, dir);
            Directory.Delete(old, recursive: true);
            return;
        }
        Directory.Move(temp, dir);
    }

    /// <summary>
    /// Deletes temporary folders left by trainings that were killed outright (their process no longer exists), so a
    /// crash costs disk space only until the next training.
    /// </summary>
    private static void RemoveAbandoned(string root)
    {
        foreach (string d in Directory.GetDirectories(root, ".tmp-*").Concat(Directory.GetDirectories(root, "*.old-*")))
        {
            string[] parts = Path.GetFileName(d).Split('-');
            // .tmp-<key>-<pid>-<guid> and <key>.old-<pid>-<guid>
            int at = Path.GetFileName(d).StartsWith(".tmp-", StringComparison.Ordinal) ? 2 : 1;
            if (parts.Length > at && int.TryParse(parts[at], out int pid) && !ProcessExists(pid))
            {
                try
                {
                    Directory.Delete(d, recursive: true);
                }
                catch (IOException)
                {
                    // Another process may be cleaning up the same folder; it is only disk space.
                }
            }
        }
    }

    private static bool ProcessExists(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Subject-first training prompts per language: all of them, and a seeded sample of up to <paramref name="perLanguage"/>.</summary>
    private static EarlyStopping Probe(TrainingCorpus corpus, ByteLevelBpe bpe, int perLanguage, int seed)
    {
        var random = new Random(seed ^ 0x5eed);
        var sample = new Dictionary<string, List<PromptScorer.Query>>();
        var all = new Dictionary<string, List<PromptScorer.Query>>();
        foreach (var lang in corpus.Languages)
        {
            var queries = corpus.TrainStatements.Where(s => s.Language == lang.Code && s.SubjectFirst)
                .Select(s => new PromptScorer.Query(bpe.Encode(s.Prompt), bpe.Encode(s.ObjectForm))).ToArray();
            all[lang.Code] = [.. queries];
            random.Shuffle(queries);
            sample[lang.Code] = queries.Take(perLanguage).ToList();
        }
        return new EarlyStopping(sample, all);
    }

    private static JsonObject ScopeJson(EmbeddedTrainingScope s) => new()
    {
        ["languages"] = new JsonArray((s.Languages ?? []).Select(l => (JsonNode?)l).ToArray()),
        ["relations"] = new JsonArray((s.Relations ?? []).Select(r => (JsonNode?)r).ToArray()),
        ["max_steps"] = s.MaxSteps,
        ["max_merges"] = s.MaxMerges,
        ["max_positions"] = s.MaxPositions,
        ["accuracy_sample_per_language"] = s.AccuracySamplePerLanguage,
        ["threads"] = s.Threads ?? EmbeddedTrainingScope.DefaultThreads,
    };

    private static JsonObject Details(TrainingStats stats, EmbeddedTrainingScope scope, TrainingCorpus corpus,
        List<TrainingRow> rows, ByteLevelBpe bpe, ModelConfig config, int threads)
    {
        var log = new JsonArray();
        foreach (var e in stats.Log)
        {
            var acc = new JsonObject();
            foreach (var (l, a) in e.TrainAccuracy)
                acc[l] = Math.Round(a, 4);
            log.Add(new JsonObject
            {
                ["epoch"] = e.Epoch, ["steps"] = e.Steps, ["loss"] = Math.Round(e.Loss, 6),
                ["seconds"] = Math.Round(e.Seconds, 2), ["train_accuracy"] = acc, ["all_prompts"] = e.AllPrompts,
            });
        }
        return new JsonObject
        {
            ["code_version"] = CodeVersion,
            ["train_seconds"] = Math.Round(stats.Seconds, 3),
            ["epochs_run"] = stats.EpochsRun,
            ["reached_target"] = stats.ReachedTarget,
            ["scope"] = ScopeJson(scope),
            ["tokenizer"] = new JsonObject { ["merges"] = bpe.Merges.Count, ["vocab_size"] = bpe.VocabSize },
            ["corpus"] = new JsonObject
            {
                ["fact_sentences"] = corpus.TrainStatements.Count(), ["filler_sentences"] = corpus.Filler.Count,
                ["tokens"] = rows.Sum(r => r.Ids.Length), ["longest"] = rows.Max(r => r.Ids.Length),
                ["filler"] = "lists of 3-6 benchmark names per language (no statement, so no false fact)",
            },
            ["model"] = new JsonObject
            {
                ["layers"] = config.NumLayers, ["d_model"] = config.HiddenSize, ["heads"] = config.NumHeads,
                ["ffn"] = config.FfnWidth, ["n_positions"] = config.MaxPositions, ["vocab_size"] = config.VocabSize,
            },
            ["threads"] = threads,
            ["epoch_log"] = log,
        };
    }

    private static TrainingProgress Message(string text) => new(0, 0, 0, 0, 0, TimeSpan.Zero, text);

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
