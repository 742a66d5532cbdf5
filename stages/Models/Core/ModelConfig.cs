using System.Text.Json;
using System.Text.Json.Nodes;

namespace KnPipeline.Stages.Models.Core;

/// <summary>
/// The architecture facts of a Hugging Face <c>config.json</c>, normalised across families (GPT-2 calls the width
/// <c>n_embd</c>, BERT and LLaMA <c>hidden_size</c>, and so on).
/// </summary>
public sealed record ModelConfig
{
    public required string ModelType { get; init; }
    /// <summary>gpt2, bert or llama: the code path that runs the model.</summary>
    public required string Family { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKvHeads { get; init; }
    public required int HeadDim { get; init; }
    public required int FfnWidth { get; init; }
    public required int MaxPositions { get; init; }
    public double NormEps { get; init; } = 1e-5;
    public double RopeTheta { get; init; } = 10000;
    public bool TieWordEmbeddings { get; init; } = true;
    public bool AttentionBias { get; init; }
    public bool MlpBias { get; init; }
    public string Activation { get; init; } = "gelu";
    public int TypeVocabSize { get; init; }
    /// <summary>RoBERTa-style models number positions from padding_idx + 1.</summary>
    public int PositionOffset { get; init; }
    public int? PadTokenId { get; init; }
    public int? BosTokenId { get; init; }
    public int? EosTokenId { get; init; }
    /// <summary>The raw JSON, for the run manifest.</summary>
    public string RawJson { get; init; } = "{}";

    public static ModelConfig Load(string path)
    {
        if (!LinkedFiles.Exists(path))
            throw new ModelLoadException(LinkedFiles.IsDangling(path)
                ? LinkedFiles.NotFound(path).Message
                : $"{path}: config.json not found");
        JsonObject o;
        try
        {
            o = JsonNode.Parse(File.ReadAllText(path))?.AsObject()
                ?? throw new ModelLoadException($"{path}: empty config");
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{path}: malformed JSON: {e.Message}");
        }
        return Parse(o, path);
    }

    public static ModelConfig Parse(JsonObject o, string path)
    {
        string type = Str(o, "model_type") ?? throw new ModelLoadException($"{path}: config.json has no model_type");
        int Req(params string[] keys)
        {
            foreach (var k in keys)
                if (o[k] is JsonValue v && v.TryGetValue(out int i))
                    return i;
            throw new ModelLoadException($"{path}: config.json lacks {string.Join(" / ", keys)} (model_type {type})");
        }
        int? Opt(string k) => o[k] is JsonValue v && v.TryGetValue(out int i) ? i : null;
        double OptD(string k, double d) => o[k] is JsonValue v && v.TryGetValue(out double x) ? x : d;
        bool OptB(string k, bool d) => o[k] is JsonValue v && v.TryGetValue(out bool x) ? x : d;
        string raw = o.ToJsonString();
        switch (type)
        {
            case "gpt2":
            {
                int d = Req("n_embd", "hidden_size"), h = Req("n_head", "num_attention_heads");
                return new ModelConfig
                {
                    ModelType = type, Family = "gpt2", VocabSize = Req("vocab_size"), HiddenSize = d,
                    NumLayers = Req("n_layer", "num_hidden_layers"), NumHeads = h, NumKvHeads = h, HeadDim = d / h,
                    FfnWidth = Opt("n_inner") ?? 4 * d, MaxPositions = Req("n_positions", "max_position_embeddings"),
                    NormEps = OptD("layer_norm_epsilon", 1e-5),
                    Activation = Str(o, "activation_function") ?? "gelu_new",
                    TieWordEmbeddings = OptB("tie_word_embeddings", true), AttentionBias = true, MlpBias = true,
                    BosTokenId = Opt("bos_token_id"), EosTokenId = Opt("eos_token_id"),
                    PadTokenId = Opt("pad_token_id"),
                    RawJson = raw,
                };
            }
            case "bert" or "roberta" or "xlm-roberta":
            {
                int d = Req("hidden_size"), h = Req("num_attention_heads");
                int? pad = Opt("pad_token_id");
                return new ModelConfig
                {
                    ModelType = type, Family = "bert", VocabSize = Req("vocab_size"), HiddenSize = d,
                    NumLayers = Req("num_hidden_layers"), NumHeads = h, NumKvHeads = h, HeadDim = d / h,
                    FfnWidth = Req("intermediate_size"), MaxPositions = Req("max_position_embeddings"),
                    NormEps = OptD("layer_norm_eps", 1e-12), Activation = Str(o, "hidden_act") ?? "gelu",
                    TypeVocabSize = Opt("type_vocab_size") ?? 2, TieWordEmbeddings = OptB("tie_word_embeddings", true),
                    AttentionBias = true, MlpBias = true,
                    PositionOffset = type == "bert" ? 0 : (pad ?? 1) + 1,
                    PadTokenId = pad, BosTokenId = Opt("bos_token_id"), EosTokenId = Opt("eos_token_id"), RawJson = raw,
                };
            }
            case "llama" or "mistral" or "qwen2":
            {
                int d = Req("hidden_size"), h = Req("num_attention_heads");
                return new ModelConfig
                {
                    ModelType = type, Family = "llama", VocabSize = Req("vocab_size"), HiddenSize = d,
                    NumLayers = Req("num_hidden_layers"), NumHeads = h, NumKvHeads = Opt("num_key_value_heads") ?? h,
                    HeadDim = Opt("head_dim") ?? d / h, FfnWidth = Req("intermediate_size"),
                    MaxPositions = Opt("max_position_embeddings") ?? 2048, NormEps = OptD("rms_norm_eps", 1e-6),
                    RopeTheta = OptD("rope_theta", 10000), Activation = Str(o, "hidden_act") ?? "silu",
                    TieWordEmbeddings = OptB("tie_word_embeddings", false),
                    // Qwen2 always has q/k/v biases; LLaMA and Mistral only when attention_bias says so.
                    AttentionBias = type == "qwen2" || OptB("attention_bias", false), MlpBias = OptB("mlp_bias", false),
                    BosTokenId = Opt("bos_token_id"), EosTokenId = Opt("eos_token_id"),
                    PadTokenId = Opt("pad_token_id"),
                    RawJson = raw,
                };
            }
            default:
                throw new ModelLoadException(
                    $"{path}: model_type '{type}' is not supported " +
                    "(supported: gpt2, bert, roberta, xlm-roberta, llama, mistral, qwen2)");
        }
    }

    private static string? Str(JsonObject o, string k) =>
        o[k] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
}

/// <summary>A model folder that cannot be loaded; the message names the file and what is wrong.</summary>
public sealed class ModelLoadException(string message) : Exception(message);
