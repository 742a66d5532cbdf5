using System.Text.Json.Nodes;
using KnPipeline.Stages.Models;
using KnPipeline.Stages.Models.Core;
using static TorchSharp.torch;

namespace KnPipeline.Tests.Support;

/// <summary>Tiny random checkpoints of every family, built in memory (and saved in HF layout when a test needs files).</summary>
public static class TinyModels
{
    public static readonly string[] Families = ["gpt2", "bert", "llama", "qwen2", "roberta"];

    public static JsonObject Config(string family) => family switch
    {
        "gpt2" => new JsonObject { ["model_type"] = "gpt2", ["vocab_size"] = 31, ["n_embd"] = 16, ["n_layer"] = 3, ["n_head"] = 4, ["n_inner"] = 24, ["n_positions"] = 32 },
        "bert" => new JsonObject { ["model_type"] = "bert", ["vocab_size"] = 31, ["hidden_size"] = 16, ["num_hidden_layers"] = 3, ["num_attention_heads"] = 4, ["intermediate_size"] = 24, ["max_position_embeddings"] = 32, ["type_vocab_size"] = 2, ["pad_token_id"] = 0 },
        "roberta" => new JsonObject { ["model_type"] = "roberta", ["vocab_size"] = 31, ["hidden_size"] = 16, ["num_hidden_layers"] = 2, ["num_attention_heads"] = 2, ["intermediate_size"] = 24, ["max_position_embeddings"] = 40, ["type_vocab_size"] = 1, ["pad_token_id"] = 1 },
        "llama" => new JsonObject { ["model_type"] = "llama", ["vocab_size"] = 31, ["hidden_size"] = 16, ["num_hidden_layers"] = 3, ["num_attention_heads"] = 4, ["num_key_value_heads"] = 2, ["intermediate_size"] = 24, ["max_position_embeddings"] = 32, ["tie_word_embeddings"] = false },
        "qwen2" => new JsonObject { ["model_type"] = "qwen2", ["vocab_size"] = 31, ["hidden_size"] = 16, ["num_hidden_layers"] = 2, ["num_attention_heads"] = 4, ["num_key_value_heads"] = 1, ["intermediate_size"] = 24, ["max_position_embeddings"] = 32, ["tie_word_embeddings"] = true, ["rope_theta"] = 1000000.0 },
        _ => throw new ArgumentOutOfRangeException(nameof(family)),
    };

    /// <summary>A model with N(0, 0.3) weights (large enough that every part matters), frozen.</summary>
    public static TransformerLM Build(string family, int seed)
    {
        var model = ModelLoader.Create(ModelConfig.Parse(Config(family), family));
        var gen = new TorchSharp.torch.Generator((ulong)seed);
        using (no_grad())
            foreach (var (_, p) in model.named_parameters())
                using (NewDisposeScope())
                    p.copy_(randn(p.shape, generator: gen) * 0.3);
        model.Freeze();
        return model;
    }

    public static string Save(TransformerLM model)
    {
        string dir = Directory.CreateTempSubdirectory("kn-tiny").FullName;
        File.WriteAllText(Path.Combine(dir, "config.json"), model.Config.RawJson);
        SafetensorsFile.Write(Path.Combine(dir, "model.safetensors"), model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
        return dir;
    }
}
