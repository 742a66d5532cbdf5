using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KnPipeline.Stages.Models;
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
    public const string CodeVersion = "embedded-gpt2/4";

    public const int KeyLength = 16;

    /// <summary>
    /// Returns the cached model for <paramref name="options"/> and the benchmark in <paramref name="benchmarkDir"/>,
    /// training it first when the cache lacks it or <paramref name="force"/> is set.
    /// </summary>
    public static (string ModelDir, TrainingReport Report) EnsureTrained(EmbeddedModelOptions options,
        string benchmarkDir, bool force = false, IProgress<TrainingProgress>? progress = null,
        CancellationToken ct = default)
    {
        if (options.MaskedTwin)
            throw new NotSupportedException(
                "embedded_model.masked_twin: true is not implemented yet; " +
                "only the causal (GPT-2) embedded model can be trained");
        var scope = EmbeddedTrainingScope.Full;
        string key = CacheKey(options, benchmarkDir, scope);
        string root = RepoPaths.ResolveCacheDir(options.CacheDir);
        string dir = Path.Combine(root, key[..KeyLength]);
        if (!force && ModelCacheFolder.IsComplete(dir))
        {
            var cached = TrainingReport.Load(dir);
            if (cached.CacheKey == key)
            {
                progress?.Report(Message($"embedded model: cached in {dir}"));
                return (dir, cached);
            }
        }
        Directory.CreateDirectory(root);
        ModelCacheFolder.RemoveAbandoned(root);
        string temp = Path.Combine(root, $".tmp-{key[..KeyLength]}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var report = TrainTo(temp, options, benchmarkDir, scope, progress, ct);
            ModelCacheFolder.Publish(temp, dir, force);
            return (dir, ModelCacheFolder.IsComplete(dir) ? TrainingReport.Load(dir) : report);
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
            throw new ArgumentException(
                "invalid embedded_model options: " + string.Join("; ", errors.Select(e => e.ToString())),
                nameof(options));
        var clock = Stopwatch.StartNew();
        string key = CacheKey(options, benchmarkDir, scope);
        var benchmark = EmbeddedBenchmark.Load(benchmarkDir, scope.Languages, scope.Relations);
        var corpus = TrainingCorpus.Build(benchmark, options.FillerFraction, options.Seed, options.Alignment,
            options.CodeSwitchRate);
        var bpe = new BpeTrainer { MaxMerges = scope.MaxMerges }.Train(corpus.TokenizerWordCounts());
        var rows = corpus.Rows(bpe, options.Bos);
        if (rows.Count == 0)
            throw new ArgumentException(
                $"{benchmark.Directory}: no training sentences in the chosen languages and relations");
        int longest = rows.Max(r => r.Ids.Length);
        if (longest > scope.MaxPositions)
            throw new InvalidDataException(
                $"{benchmark.Directory}: a training sentence is {longest} tokens long, " +
                $"more than the model's {scope.MaxPositions} positions");
        progress?.Report(Message(string.Create(CultureInfo.InvariantCulture,
            $"embedded model: {corpus.TrainStatements.Count()} fact sentences + {corpus.Filler.Count} filler + " +
            $"{corpus.Alignment.Switched.Count} code-switched + {corpus.Alignment.Lists.Count} name lists in " +
            $"{benchmark.Languages.Count} languages, {rows.Sum(r => r.Ids.Length)} tokens; " +
            $"tokenizer {bpe.Merges.Count} " +
            $"merges, vocabulary {bpe.VocabSize} ({clock.Elapsed.TotalSeconds:F1} s)")));

        var stopping = Probe(corpus, bpe, scope.AccuracySamplePerLanguage, options.Seed, options.Bos);
        var configJson = EmbeddedTrainer.ModelConfigJson(options, bpe.VocabSize, bpe.EndOfTextId, scope.MaxPositions);
        var config = ModelConfig.Parse(configJson, "embedded model config");

        int threadsBefore = get_num_threads();
        int threads = scope.Threads ?? EmbeddedTrainingScope.DefaultThreads;
        set_num_threads(threads);
        try
        {
            var (model, stats) = EmbeddedTrainer.Train(rows, stopping, config, bpe.EndOfTextId, options, scope,
                progress, ct);
            using (model)
            {
                Directory.CreateDirectory(outputDir);
                File.WriteAllText(Path.Combine(outputDir, "config.json"),
                    configJson.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) +
                    "\n");
                SafetensorsFile.Write(Path.Combine(outputDir, "model.safetensors"),
                    model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)),
                    new Dictionary<string, string> { ["format"] = "pt" });
                bpe.Save(outputDir, scope.MaxPositions, options.Bos);
                CellStatus.Write(Path.Combine(outputDir, CellStatus.FileName), corpus);
                progress?.Report(Message(
                    $"embedded model: weights {WeightEdit.Hash(model)[..16]}, evaluating the saved folder"));
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
                Details = TrainingDetails.Build(stats, scope, corpus, rows, bpe, config, threads),
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
            text.Append("scope ").Append(TrainingDetails.ScopeJson(scope).ToJsonString()).Append('\n');
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
            if (!LinkedFiles.Exists(f))
                throw new InvalidDataException(LinkedFiles.IsDangling(f)
                    ? LinkedFiles.NotFound(f).Message
                    : $"{f}: benchmark file not found");
            string rel = Path.GetRelativePath(full, f).Replace('\\', '/');
            text.Append(rel).Append(' ').Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))))
                .Append('\n');
        }
        return Sha256(text.ToString());
    }

    /// <summary>True when <paramref name="dir"/> holds a finished model (training.json is written last).</summary>
    public static bool IsComplete(string dir) => ModelCacheFolder.IsComplete(dir);

    /// <summary>Subject-first training prompts per language: all of them, and a seeded sample of up to
    /// <paramref name="perLanguage"/>.</summary>
    private static EarlyStopping Probe(TrainingCorpus corpus, ByteLevelBpe bpe, int perLanguage, int seed, bool bos)
    {
        int[] head = bos ? [bpe.EndOfTextId] : [];
        var random = new Random(seed ^ 0x5eed);
        var sample = new Dictionary<string, List<PromptScorer.Query>>();
        var all = new Dictionary<string, List<PromptScorer.Query>>();
        foreach (var lang in corpus.Languages)
        {
            var queries = corpus.TrainStatements.Where(s => s.Language == lang.Code && s.SubjectFirst)
                .Select(s => new PromptScorer.Query([.. head, .. bpe.Encode(s.Prompt)], bpe.Encode(s.ObjectForm))).ToArray();
            all[lang.Code] = [.. queries];
            random.Shuffle(queries);
            sample[lang.Code] = queries.Take(perLanguage).ToList();
        }
        return new EarlyStopping(sample, all);
    }

    private static TrainingProgress Message(string text) => new(0, 0, 0, 0, 0, TimeSpan.Zero, text);

    private static string Sha256(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
