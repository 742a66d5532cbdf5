using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using KnPipeline.Config;
using KnPipeline.Graph;
using KnPipeline.Runs;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Data;
using KnPipeline.Stages.Models;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Records;
using KnPipeline.Stages.Tokenization;
using KnPipeline.Stages.Training;
using Microsoft.Extensions.Logging;

namespace KnPipeline.Hosting;

/// <summary>
/// One run from config to run folder: resolve data and model (training the embedded model when the cache lacks it),
/// write or check the manifest, plan the chunks, skip the intact ones, run the graph on the rest and write the summary.
/// </summary>
public sealed class PipelineRun(RunRequest request, ILogger<PipelineRun> log)
{
    private PipelineConfig C => request.Config;

    public static string WorkHash(PipelineConfig c)
    {
        // What decides the records: data, model, training and attribution settings, seed, chunking and dtype.
        // Run id, folders, device, threads, queue sizes and logging do not, so changing them never blocks a resume.
        var all = JsonNode.Parse(ConfigHasher.ToCanonicalJson(c))!.AsObject();
        var run = all["run"]!.AsObject();
        var work = new JsonObject
        {
            ["data"] = all["data"]!.DeepClone(), ["model"] = all["model"]!.DeepClone(),
            ["embedded_model"] = all["embedded_model"]!.DeepClone(), ["attribution"] = all["attribution"]!.DeepClone(),
            ["seed"] = run["seed"]!.DeepClone(), ["chunk_facts"] = run["chunk_facts"]!.DeepClone(), ["dtype"] = run["dtype"]!.DeepClone(),
        };
        // The embedded model's cache key covers the trainer's code version and the benchmark it learns, so a new
        // trainer gives a new run folder instead of a refused resume of the old one.
        if (c.Model.Path == ModelOptions.Embedded && RepoPaths.FindRepoRoot(AppContext.BaseDirectory) is not null)
            work["embedded_model_key"] = EmbeddedModel.CacheKey(c.EmbeddedModel, BenchmarkLoaders.EmbeddedDirectory(), EmbeddedTrainingScope.Full);
        return Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(work.ToJsonString()))).ToLowerInvariant();
    }

    public static string DefaultRunDir(PipelineConfig c) =>
        Path.Combine(RepoPaths.ResolveCacheDir(c.Run.RunsDir), c.Run.Id ?? $"run-{WorkHash(c)[..12]}");

    public async Task<(int ExitCode, string RunDir)> ExecuteAsync(CancellationToken stoppingToken)
    {
        var wall = Stopwatch.StartNew();
        var run = new RunFolder(request.RunDir ?? DefaultRunDir(C));
        if (request.Resume && !File.Exists(run.ManifestPath))
            throw new Cli.UsageException($"--resume: {run.Path} holds no run (no manifest.json)");
        run.Create();
        string workHash = WorkHash(C);
        log.LogInformation("run folder {RunDir} (work hash {Hash}), shard {Shard}", run.Path, workHash[..12], request.Shard.Tag);

        if (C.Run.Threads > 0)
            TorchSharp.torch.set_num_threads(C.Run.Threads);
        TorchSharp.torch.manual_seed(C.Run.Seed);

        // Data.
        var (dataDir, loader) = BenchmarkLoaders.Resolve(C.Data.Source, OptionNames.Of(C.Data.Format));
        var loadQuarantine = new QuarantineLog();
        var source = loader.Open(dataDir, loadQuarantine);

        // Model: the embedded one is trained on first use and cached; anything else is a folder or a cached Hub id.
        var timings = new Dictionary<string, double>();
        var sw = Stopwatch.StartNew();
        string modelPath = C.Model.Path;
        double? trainingSeconds = null;
        if (modelPath == ModelOptions.Embedded)
        {
            log.LogInformation("model: the embedded model (trained on first use, then cached in {Cache})", C.EmbeddedModel.CacheDir);
            var (dir, report) = EmbeddedModel.EnsureTrained(C.EmbeddedModel, BenchmarkLoaders.EmbeddedDirectory(),
                progress: TrainingProgressBar.ForStandardError(), ct: stoppingToken);
            modelPath = dir;
            trainingSeconds = report.Seconds;
        }
        timings["model_s"] = sw.Elapsed.TotalSeconds;
        var device = DeviceSelector.Select(C.Run.Device);
        var loaded = LoadedModel.Open(modelPath, device, DeviceSelector.DType(OptionNames.Of(C.Run.Dtype)));
        var model = loaded.Model;
        var tokenizerImpl = loaded.Tokenizer ?? throw new Cli.UsageException($"{loaded.Location.LocalDir} has no tokenizer: the pipeline needs one");
        var kind = C.Model.Kind switch
        {
            Stages.Options.ModelKind.Causal => Stages.QueryExpansion.ModelKind.Causal,
            Stages.Options.ModelKind.Masked => Stages.QueryExpansion.ModelKind.Masked,
            _ => model.IsCausal ? Stages.QueryExpansion.ModelKind.Causal : Stages.QueryExpansion.ModelKind.Masked,
        };

        // Manifest.
        var manifest = Manifest(loaded, dataDir, workHash);
        run.WriteOrCheckManifest(manifest, workHash);
        string manifestHash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(run.ManifestPath))).ToLowerInvariant();
        var metadata = new PartMetadata(manifestHash, model.NeuronDefinition);

        // Plan and resume.
        var filter = new QueryExpansionOptions
        {
            Languages = C.Data.Languages.Count > 0 ? C.Data.Languages.ToList() : null,
            Relations = C.Data.Relations.Count > 0 ? C.Data.Relations.ToList() : null,
            FactsPerRelation = C.Data.FactsPerRelation, Seed = C.Run.Seed,
            Split = C.Data.Split,
            ModelKind = kind,
        };
        var plan = ChunkPlanner.Build(source, filter, request.Shard, C.Run.ChunkFacts, loadQuarantine);
        await WriteLoadQuarantine(run, request.Shard, loadQuarantine, metadata, stoppingToken);
        var done = new List<ChunkMarker>();
        var todo = new List<FactChunk>();
        foreach (var chunk in plan.Chunks)
        {
            if (ChunkMarker.ReadIfIntact(run, chunk.Key, m => log.LogWarning("{Message}", m)) is { } marker)
                done.Add(marker);
            else
                todo.Add(chunk);
        }
        int shardFacts = plan.Chunks.Sum(c => c.FactIds.Count);
        log.LogInformation("{Facts} facts in {Chunks} chunks for this shard ({Total} in the benchmark after filters); {Done} chunks already done",
            shardFacts, plan.Chunks.Count, plan.TotalFacts, done.Count);

        // Stages.
        var expander = new QueryExpander(filter);
        var queryTokenizer = new QueryTokenizer(tokenizerImpl, loaded.Location.RepoId ?? Path.GetFileName(loaded.Location.LocalDir.TrimEnd('/')),
            kind, QueryTokenizer.SpacesOf(source));
        var settings = new AttributionSettings
        {
            Steps = C.Attribution.Steps, Rule = OptionNames.Of(C.Attribution.Rule), Objective = OptionNames.Of(C.Attribution.Objective),
            Layers = C.Attribution.Layers.Count > 0 ? C.Attribution.Layers.ToArray() : null, Algorithm = OptionNames.Of(C.Attribution.Algorithm),
            CpuWorkers = C.Attribution.CpuWorkers,
        };
        using var stage = new AttributionStage(model, settings, C.Attribution.Target == AttributionTarget.AllTokens,
            C.Attribution.Localize == LocalizeMode.Correct, loaded.PadId, C.Attribution.BatchRows,
            Baselines(run, loaded, source, plan, expander, queryTokenizer));
        var packer = new BatchPacker(C.Attribution.BatchRows, C.Attribution.BatchTokens);
        var writer = new ChunkWriter(run, metadata, C.Pipeline.RowGroupRows, C.Attribution.KnThreshold, C.Attribution.TopK,
            C.Attribution.KeepFull, model.FfnWidth);
        int parallelism = C.Pipeline.TokenizeParallelism > 0 ? C.Pipeline.TokenizeParallelism : Environment.ProcessorCount;
        using var progress = new ProgressReporter(shardFacts, done.Sum(d => d.Facts.Length), log, TimeSpan.FromSeconds(C.Run.ProgressIntervalS));
        var graph = new PipelineGraph(expander, source.TemplatesFor, queryTokenizer, stage, packer, writer, progress,
            C.Pipeline.QueueCapacity, parallelism, log);
        progress.SetDeviceBusy(() => graph.DeviceBusy);
        sw.Restart();
        int exit = 0;
        try
        {
            await graph.RunAsync(todo, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            log.LogWarning("stopped by signal: {Written} chunks written in this session; rerun with --resume to continue", graph.Written.Count);
            exit = Cli.CliApp.ExitInterrupted;
        }
        timings["graph_s"] = sw.Elapsed.TotalSeconds;
        var all = done.Concat(graph.Written).ToList();
        var summary = Summary(plan, all, loadQuarantine, graph, wall.Elapsed.TotalSeconds, timings, trainingSeconds,
            exit == 0 && all.Count == plan.Chunks.Count);
        RunFolder.WriteAtomic(run.SummaryPath(request.Shard), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        PrintSummary(summary, run);
        return (exit, run.Path);
    }

    private Func<IReadOnlyList<AttributionQuery>, IBaselineProvider?> Baselines(RunFolder run, LoadedModel loaded, BenchmarkSource source,
        ChunkPlanner.Plan plan, QueryExpander expander, QueryTokenizer tokenizer)
    {
        switch (C.Attribution.Baseline)
        {
            case AttributionBaseline.Amig:
            {
                int replacement = loaded.Model.IsCausal ? loaded.Tokenizer?.EosId ?? 0 : loaded.Tokenizer?.MaskId ?? 103;
                var specials = new HashSet<int>(new[] { loaded.Tokenizer?.BosId, loaded.Tokenizer?.ClsId, loaded.Tokenizer?.SepId, loaded.Tokenizer?.PadId }
                    .Where(x => x.HasValue).Select(x => x!.Value));
                var amig = new AmigBaseline(loaded.Model, replacement, specials, loaded.PadId);
                var layers = C.Attribution.Layers.Count > 0 ? C.Attribution.Layers.ToList() : Enumerable.Range(0, loaded.Model.NumLayers).ToList();
                return qs => { amig.Prepare(qs, layers); return amig; };
            }
            case AttributionBaseline.DatasetMean:
            {
                string path = Path.Combine(run.BaselinesDir, "dataset-mean.jsonl");
                var languageOf = new Func<AttributionQuery, string>(q => q.Id.Split('|')[1]);
                DatasetMeanBaseline mean;
                if (File.Exists(path))
                    mean = DatasetMeanBaseline.Load(path, languageOf);
                else
                {
                    // Over every planned fact of this shard's benchmark view, computed once and kept for resumes.
                    mean = new DatasetMeanBaseline(languageOf);
                    var layers = Enumerable.Range(0, loaded.Model.NumLayers).ToList();
                    foreach (var chunk in plan.Chunks)
                    {
                        var tokenized = tokenizer.TokenizeAll(new QueryExpander(expander.Options).Expand(chunk.Facts, source.TemplatesFor), NullQuarantine.Instance).ToList();
                        foreach (var batch in tokenized.Chunk(32))
                        {
                            using var scope = TorchSharp.torch.NewDisposeScope();
                            var rows = batch.ToList();
                            var inputs = Stages.Models.Core.ForwardInputs.FromRows(rows.Select(r => r.InputIds).ToList(), loaded.PadId, loaded.Model.HeadWeight.device);
                            var pos = TorchSharp.torch.tensor(rows.Select(r => (long)r.PredictionPositions[0]).ToArray());
                            var cap = new Stages.Models.Core.ActivationCapture(pos, layers);
                            using (TorchSharp.torch.no_grad())
                                loaded.Model.ForwardHidden(inputs, cap);
                            foreach (int l in layers)
                                for (int i = 0; i < rows.Count; i++)
                                    mean.Add(rows[i].Language, l, cap.Activations[l][i].cpu().data<float>().ToArray());
                        }
                    }
                    Directory.CreateDirectory(run.BaselinesDir);
                    mean.Save(path);
                }
                return _ => mean;
            }
            default:
                return _ => null;
        }
    }

    private static async Task WriteLoadQuarantine(RunFolder run, ShardSpec shard, QuarantineLog q, PartMetadata metadata, CancellationToken ct)
    {
        // Bad input found while reading the benchmark: every shard reads the whole benchmark, so shard 0 alone writes
        // it, once, and a sharded run exports the same quarantine as a single one.
        string path = run.PartPath("quarantine", "unknown", "load");
        if (shard.Index != 0 || File.Exists(path) || q.Records.Count == 0)
            return;
        await using var w = await PartWriter<QuarantineRecord>.CreateAsync(path, QuarantineRecordSchema.Instance, metadata, ct: ct);
        foreach (var r in q.Records.OrderBy(r => r.Source, StringComparer.Ordinal).ThenBy(r => r.Line).ThenBy(r => r.Reason, StringComparer.Ordinal))
            await w.WriteAsync(r);
        await w.CompleteAsync();
    }

    private JsonObject Manifest(LoadedModel loaded, string dataDir, string workHash)
    {
        string Hash(IEnumerable<string> files)
        {
            using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var f in files.Where(File.Exists).Order(StringComparer.Ordinal))
            {
                h.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(f)));
                using var s = File.OpenRead(f);
                var buffer = new byte[1 << 20];
                int n;
                while ((n = s.Read(buffer)) > 0)
                    h.AppendData(buffer, 0, n);
            }
            return Convert.ToHexString(h.GetHashAndReset()).ToLowerInvariant();
        }
        string dir = loaded.Location.LocalDir;
        var tokenizerFiles = new[] { "tokenizer.json", "vocab.json", "merges.txt", "vocab.txt", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json" }
            .Select(f => Path.Combine(dir, f));
        return new JsonObject
        {
            ["config"] = JsonNode.Parse(ConfigHasher.ToCanonicalJson(C)),
            ["config_hash"] = ConfigHasher.Hash(C),
            ["config_source"] = request.ConfigSource,
            ["model"] = new JsonObject
            {
                ["path"] = C.Model.Path, ["resolved_dir"] = dir, ["repo_id"] = loaded.Location.RepoId, ["commit"] = loaded.Location.Commit,
                ["family"] = loaded.Model.Family, ["model_type"] = loaded.Model.Config.ModelType,
                ["weights_sha256"] = Hash(ModelLoader.WeightFiles(dir).Append(Path.Combine(dir, "config.json"))),
            },
            ["tokenizer"] = new JsonObject { ["kind"] = loaded.Tokenizer?.Kind, ["sha256"] = Hash(tokenizerFiles) },
            ["data"] = new JsonObject { ["dir"] = dataDir, ["format"] = OptionNames.Of(C.Data.Format), ["sha256"] = Hash(Directory.EnumerateFiles(dataDir, "*.jsonl", SearchOption.AllDirectories)) },
            ["git_sha"] = GitSha(),
            ["versions"] = new JsonObject
            {
                ["dotnet"] = Environment.Version.ToString(),
                ["torchsharp"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(),
                ["parquet_net"] = typeof(Parquet.ParquetWriter).Assembly.GetName().Version?.ToString(),
                ["kn_pipeline"] = typeof(PipelineRun).Assembly.GetName().Version?.ToString(),
            },
            ["seeds"] = new JsonObject { ["run"] = C.Run.Seed, ["embedded_model"] = C.EmbeddedModel.Seed },
            ["definitions"] = new JsonObject
            {
                ["neuron"] = loaded.Model.NeuronDefinition,
                ["attribution"] = "attr_i = (a_i - b_i) * sum_k w_k dF(b + alpha_k (a - b))/da_i, F = target probability (or log-probability) at the prediction position",
                ["rule"] = $"{OptionNames.Of(C.Attribution.Rule)}, m = {C.Attribution.Steps}",
                ["baseline"] = OptionNames.Of(C.Attribution.Baseline),
                ["completeness_gap"] = "sum_i attr_i - (F(a) - F(b)), per query and layer",
                ["coarse_kn"] = $"attr > {C.Attribution.KnThreshold} * max over all layers and neurons of the query",
                ["localized_queries"] = OptionNames.Of(C.Attribution.Localize),
            },
            ["work_hash"] = workHash,
        };
    }

    private static string GitSha()
    {
        try
        {
            var p = Process.Start(new ProcessStartInfo("git", "rev-parse HEAD")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.FindRepoRoot(AppContext.BaseDirectory) ?? Environment.CurrentDirectory,
            });
            string sha = p!.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 ? sha : "unknown";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "unknown";
        }
    }

    private JsonObject Summary(ChunkPlanner.Plan plan, List<ChunkMarker> all, QuarantineLog load, PipelineGraph graph,
        double wallS, Dictionary<string, double> timings, double? trainingSeconds, bool complete)
    {
        var o = new JsonObject
        {
            ["facts"] = all.Sum(m => m.Facts.Length),
            ["queries"] = all.Sum(m => m.Queries),
            ["languages"] = plan.Languages.Count,
            ["quarantined"] = all.Sum(m => m.Quarantined) + load.Total,
            ["queries_per_s"] = graph.DeviceSeconds > 0 ? graph.Written.Sum(m => m.Attributed) / graph.DeviceSeconds : 0,
            ["device_busy"] = Math.Round(graph.DeviceBusy, 4),
            ["completeness_gap_median"] = MarkerTotals.GapMedian(all),
            ["wall_s"] = Math.Round(wallS, 3),
            ["queries_tokenized"] = all.Sum(m => m.Tokenized),
            ["queries_attributed"] = all.Sum(m => m.Attributed),
            ["chunks"] = plan.Chunks.Count,
            ["chunks_done"] = all.Count,
            ["complete"] = complete,
            ["shard"] = request.Shard.Tag,
            ["model_s"] = Math.Round(timings["model_s"], 3),
            ["graph_s"] = Math.Round(timings.GetValueOrDefault("graph_s"), 3),
            ["device_s"] = Math.Round(graph.DeviceSeconds, 3),
            ["expand_s"] = Math.Round(graph.StageSeconds.Expand, 3),
            ["tokenize_s"] = Math.Round(graph.StageSeconds.Tokenize, 3),
            ["write_s"] = Math.Round(graph.StageSeconds.Write, 3),
        };
        if (trainingSeconds is { } t)
            o["embedded_training_s"] = Math.Round(t, 3);
        // Added up from every done chunk's marker, so a resumed run reports the whole run.
        MarkerTotals.AddCounters(o, all);
        return o;
    }

    private void PrintSummary(JsonObject s, RunFolder run)
    {
        log.LogInformation("summary written to {Path}", run.SummaryPath(request.Shard));
        var err = Console.Error;
        err.WriteLine();
        err.WriteLine($"{"figure",-28} value");
        err.WriteLine($"{new string('-', 28)} {new string('-', 16)}");
        foreach (var key in new[] { "facts", "queries", "queries_attributed", "languages", "quarantined", "queries_per_s", "device_busy",
                     "completeness_gap_median", "wall_s", "model_s", "graph_s", "expand_s", "tokenize_s", "device_s", "write_s" })
            if (s[key] is { } v)
                err.WriteLine($"{key,-28} {v.ToJsonString()}");
        err.WriteLine($"run folder: {run.Path}");
    }
}
