using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KnPipeline.Config;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Data;
using KnPipeline.Stages.Models;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Training;

namespace KnPipeline.Runs;

/// <summary>
/// manifest.json: the config, the work hash that decides whether a folder can be resumed, the hashes of the inputs
/// (weights, tokenizer, data), the git SHA, library versions, seeds and the definitions every output uses.
/// </summary>
public static class RunManifest
{
    private static readonly string[] TokenizerFiles =
    [
        "tokenizer.json", "vocab.json", "merges.txt", "vocab.txt", "tokenizer.model", "tokenizer_config.json",
        "special_tokens_map.json",
    ];

    /// <summary>
    /// The hash of what decides the records: data, model, training, attribution and localization settings, seed, chunking and
    /// dtype. Run id, folders, device, threads, queue sizes and logging do not, so changing them never blocks a
    /// resume.
    /// </summary>
    public static string WorkHash(PipelineConfig c)
    {
        var all = JsonNode.Parse(ConfigHasher.ToCanonicalJson(c))!.AsObject();
        var run = all["run"]!.AsObject();
        var work = new JsonObject
        {
            ["data"] = all["data"]!.DeepClone(), ["model"] = all["model"]!.DeepClone(),
            ["embedded_model"] = all["embedded_model"]!.DeepClone(), ["attribution"] = all["attribution"]!.DeepClone(),
            ["localization"] = all["localization"]!.DeepClone(),
            ["consistency"] = all["consistency"]!.DeepClone(),
            ["synapses"] = all["synapses"]!.DeepClone(), ["editing"] = all["editing"]!.DeepClone(),
            ["seed"] = run["seed"]!.DeepClone(), ["chunk_facts"] = run["chunk_facts"]!.DeepClone(),
            ["dtype"] = run["dtype"]!.DeepClone(),
        };
        // The embedded model's cache key covers the trainer's code version and the benchmark it learns, so a new
        // trainer gives a new run folder instead of a refused resume of the old one.
        if (c.Model.Path == ModelOptions.Embedded && RepoPaths.FindRepoRoot(AppContext.BaseDirectory) is not null)
            work["embedded_model_key"] = EmbeddedModel.CacheKey(c.EmbeddedModel, BenchmarkLoaders.EmbeddedDirectory(),
                EmbeddedTrainingScope.Full);
        return Sha256Hex(work.ToJsonString());
    }

    /// <param name="languages">The benchmark's languages: their family and script group the reduce phase's
    /// statistics (same-script overlap, results by script and family of a held-out language).</param>
    public static JsonObject Build(PipelineConfig c, string configSource, LoadedModel loaded, string dataDir,
        string workHash, IReadOnlyList<LanguageInfo>? languages = null)
    {
        string dir = loaded.Location.LocalDir;
        var manifest = new JsonObject
        {
            ["config"] = JsonNode.Parse(ConfigHasher.ToCanonicalJson(c)),
            ["config_hash"] = ConfigHasher.Hash(c),
            ["config_source"] = configSource,
            ["model"] = new JsonObject
            {
                ["path"] = c.Model.Path, ["resolved_dir"] = dir, ["repo_id"] = loaded.Location.RepoId,
                ["commit"] = loaded.Location.Commit, ["family"] = loaded.Model.Family,
                ["model_type"] = loaded.Model.Config.ModelType,
                ["weights_sha256"] =
                    LinkedFiles.Sha256(ModelLoader.WeightFiles(dir).Append(Path.Combine(dir, "config.json"))),
            },
            ["tokenizer"] = new JsonObject
            {
                ["kind"] = loaded.Tokenizer?.Kind,
                ["sha256"] = LinkedFiles.Sha256(TokenizerFiles.Select(f => Path.Combine(dir, f))),
            },
            ["data"] = new JsonObject
            {
                ["dir"] = dataDir, ["format"] = OptionNames.Of(c.Data.Format),
                ["sha256"] = LinkedFiles.Sha256(
                    Directory.EnumerateFiles(dataDir, "*.jsonl", SearchOption.AllDirectories)),
            },
            ["git_sha"] = GitSha(),
            ["versions"] = new JsonObject
            {
                ["dotnet"] = Environment.Version.ToString(),
                ["torchsharp"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(),
                ["parquet_net"] = typeof(Parquet.ParquetWriter).Assembly.GetName().Version?.ToString(),
                ["kn_pipeline"] = typeof(RunManifest).Assembly.GetName().Version?.ToString(),
            },
            ["seeds"] = new JsonObject { ["run"] = c.Run.Seed, ["embedded_model"] = c.EmbeddedModel.Seed },
            ["definitions"] = Definitions(c, loaded),
            ["work_hash"] = workHash,
        };
        if (languages is not null)
            manifest["languages"] = new JsonObject(languages.OrderBy(l => l.Code, StringComparer.Ordinal).Select(l =>
                KeyValuePair.Create<string, JsonNode?>(l.Code,
                    new JsonObject { ["family"] = l.Family, ["script"] = l.Script })));
        return manifest;
    }

    private static JsonObject Definitions(PipelineConfig c, LoadedModel loaded) => new()
    {
        ["neuron"] = loaded.Model.NeuronDefinition,
        ["attribution"] = "attr_i = (a_i - b_i) * sum_k w_k dF(b + alpha_k (a - b))/da_i, " +
                          "F = target probability (or log-probability) at the prediction position",
        ["rule"] = c.Attribution.Rule == IntegrationRule.Adaptive
            ? $"adaptive: 5-point Gauss-Lobatto panels bisected per (query, layer) until |gap| / |F(a) - F(b)| <= " +
              $"{c.Attribution.Tolerance}, at most {c.Attribution.MaxSteps} points"
            : $"{OptionNames.Of(c.Attribution.Rule)}, m = {c.Attribution.Steps}",
        ["methods"] = string.Join("; ", c.Attribution.Methods.Select(m => m switch
        {
            AttributionMethod.Dai => "dai: IG from the zero baseline",
            AttributionMethod.Amig => "amig: IG from AMIG's baseline, the mean activation over copies of the prompt " +
                                      "with one token replaced by [MASK] or end-of-text; attr uses (a - b), where " +
                                      "AMIG's code uses a",
            _ => $"{OptionNames.Of(m)}: IG from the mean activation over the language's queries",
        })) + "; the first is the main method (summary counters, report figures)",
        ["completeness_gap"] = "sum_i attr_i - (F(a) - F(b)), per query and layer",
        ["coarse_kn"] = $"attr > {c.Attribution.KnThreshold} * max over all layers and neurons of the query",
        ["localized_queries"] = OptionNames.Of(c.Attribution.Localize),
    };

    /// <summary>The SHA-256 of the manifest file as written: every Parquet part carries it.</summary>
    public static string FileHash(RunFolder run) =>
        Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(run.ManifestPath))).ToLowerInvariant();

    private static string Sha256Hex(string text) =>
        Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text))).ToLowerInvariant();

    private static string GitSha()
    {
        try
        {
            var p = Process.Start(new ProcessStartInfo("git", "rev-parse HEAD")
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
                WorkingDirectory = RepoPaths.FindRepoRoot(AppContext.BaseDirectory) ?? Environment.CurrentDirectory,
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
}
