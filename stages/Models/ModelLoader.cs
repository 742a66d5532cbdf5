using System.Text.RegularExpressions;
using System.Text.Json;
using KnPipeline.Stages.Models.Bert;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Gpt2;
using KnPipeline.Stages.Models.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Models;

/// <summary>
/// Loads a Hugging Face model folder: config.json, model.safetensors or a sharded model.safetensors.index.json.
/// Missing, unexpected and mis-shaped tensors are reported all at once, naming the file.
/// </summary>
public static class ModelLoader
{
    public static TransformerLM Create(ModelConfig config) => config.Family switch
    {
        "gpt2" => new Gpt2Model(config),
        "bert" => new BertModel(config),
        "llama" => new LlamaModel(config),
        _ => throw new ModelLoadException($"no implementation for family {config.Family}"),
    };

    /// <summary>Loads the model in <paramref name="dir"/>, converted to <paramref name="dtype"/>, on
    /// <paramref name="device"/>, frozen.</summary>
    public static TransformerLM Load(string dir, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        var config = ModelConfig.Load(System.IO.Path.Combine(dir, "config.json"));
        var model = Create(config);
        using (no_grad())
        {
            LoadWeights(model, dir, dtype);
        }
        model.to(dtype);
        if (device != null)
            model.to(device);
        model.Freeze();
        return model;
    }

    public static IReadOnlyList<string> WeightFiles(string dir)
    {
        string single = System.IO.Path.Combine(dir, "model.safetensors");
        string index = System.IO.Path.Combine(dir, "model.safetensors.index.json");
        if (File.Exists(single))
            return [single];
        if (File.Exists(index))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(index));
                return doc.RootElement.GetProperty("weight_map").EnumerateObject()
                          .Select(p => p.Value.GetString()!).Distinct().Order(StringComparer.Ordinal)
                          .Select(f => System.IO.Path.Combine(dir, f)).ToList();
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new ModelLoadException($"{index}: malformed index ({e.Message})");
            }
        }
        throw new ModelLoadException($"{dir}: no model.safetensors or model.safetensors.index.json");
    }

    private static void LoadWeights(TransformerLM model, string dir, ScalarType dtype)
    {
        var files = WeightFiles(dir);
        foreach (var f in files)
            if (!LinkedFiles.Exists(f))
                throw new ModelLoadException(LinkedFiles.IsDangling(f)
                    ? LinkedFiles.NotFound(f).Message
                    : $"{dir}: shard {System.IO.Path.GetFileName(f)} named by the index is missing");
        var readers = files.Select(f => new SafetensorsFile(f)).ToList();
        try
        {
            var expected = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            var available = new Dictionary<string, (SafetensorsFile File, string Key)>();
            var unexpected = new List<string>();
            foreach (var r in readers)
            {
                foreach (var key in r.Entries.Keys)
                {
                    string name = Normalize(model.Config, key);
                    if (expected.ContainsKey(name))
                        available[name] = (r, key);
                    else if (!Ignorable(model.Config, name))
                        unexpected.Add(key);
                }
            }
            var missing = expected.Keys.Where(k => !available.ContainsKey(k)).ToList();
            var badShape = new List<string>();
            foreach (var (name, (file, key)) in available)
            {
                var want = expected[name].shape;
                var got = file.Entries[key].Shape;
                if (!want.SequenceEqual(got))
                    badShape.Add($"{key}: checkpoint [{string.Join(", ", got)}], model [{string.Join(", ", want)}]");
            }
            if (missing.Count + unexpected.Count + badShape.Count > 0)
            {
                var lines = new List<string>
                {
                    $"{dir}: the checkpoint does not match a {model.Config.ModelType} model of this config.json"
                };
                if (missing.Count > 0)
                    lines.Add($"  missing tensors ({missing.Count}): {string.Join(", ", missing.Take(20))}" +
                        $"{(missing.Count > 20 ? ", …" : "")}");
                if (unexpected.Count > 0)
                    lines.Add($"  unexpected tensors ({unexpected.Count}): {string.Join(", ", unexpected.Take(20))}" +
                        $"{(unexpected.Count > 20 ? ", …" : "")}");
                if (badShape.Count > 0)
                    lines.Add($"  shape mismatches ({badShape.Count}): {string.Join("; ", badShape.Take(20))}");
                throw new ModelLoadException(string.Join(Environment.NewLine, lines));
            }
            foreach (var (name, (file, key)) in available)
            {
                using var scope = NewDisposeScope();
                expected[name].copy_(file.Read(key).to_type(dtype));
            }
        }
        finally
        {
            foreach (var r in readers)
                r.Dispose();
        }
    }

    /// <summary>Maps checkpoint key spellings onto ours: GPT-2 files without the transformer. prefix, old
    /// gamma/beta.</summary>
    private static string Normalize(ModelConfig c, string key)
    {
        if (c.Family == "gpt2" && !key.StartsWith("transformer.", StringComparison.Ordinal) &&
            !key.StartsWith("lm_head.", StringComparison.Ordinal))
            key = "transformer." + key;
        if (c.Family == "bert")
            key = key.Replace("LayerNorm.gamma", "LayerNorm.weight").Replace("LayerNorm.beta", "LayerNorm.bias");
        return key;
    }

    // Buffers and heads that checkpoints carry but the LM does not use: causal-mask buffers, rotary caches, the
    // pooler and NSP head, position-id buffers, and the duplicate of a tied decoder.
    private static readonly Regex IgnorableGpt2 = new(@"(\.attn\.(masked_)?bias$|^lm_head\.weight$)",
        RegexOptions.Compiled);
    private static readonly Regex IgnorableLlama = new(@"(rotary_emb\.inv_freq$|^lm_head\.weight$)",
        RegexOptions.Compiled);
    private static readonly Regex IgnorableBert = new(
        @"(\.pooler\.|^cls\.seq_relationship|position_ids$|^cls\.predictions\.decoder\.(weight|bias)$|" +
        @"^lm_head\.decoder\.(weight|bias)$)",
        RegexOptions.Compiled);

    private static bool Ignorable(ModelConfig c, string key) => c.Family switch
    {
        // lm_head.weight is only ignorable when the head is tied (else it is an expected parameter, matched before).
        "gpt2" => IgnorableGpt2.IsMatch(key),
        "llama" => IgnorableLlama.IsMatch(key),
        "bert" => IgnorableBert.IsMatch(key),
        _ => false,
    };
}
