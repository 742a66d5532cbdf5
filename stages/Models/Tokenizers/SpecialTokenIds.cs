namespace KnPipeline.Stages.Models.Tokenizers;

/// <summary>
/// The ids of a tokenizer's special tokens, resolved from a folder's configuration. Each role takes the token string
/// configured for it (special_tokens_map.json, else tokenizer_config.json), else the default of the tokenizer family
/// (what the transformers tokenizer class would use), looked up in the vocabulary; failing that, config.json's
/// <c>*_token_id</c>.
/// </summary>
public sealed record SpecialTokenIds(int? Bos, int? Eos, int? Pad, int? Unk, int? Mask, int? Cls, int? Sep)
{
    /// <summary>BertTokenizer's defaults.</summary>
    internal static readonly IReadOnlyDictionary<string, string> BertDefaults = new Dictionary<string, string>
    {
        ["unk_token"] = "[UNK]", ["sep_token"] = "[SEP]", ["pad_token"] = "[PAD]", ["cls_token"] = "[CLS]",
        ["mask_token"] = "[MASK]",
    };

    /// <summary>GPT2Tokenizer's defaults: one token for BOS, EOS and UNK.</summary>
    internal static readonly IReadOnlyDictionary<string, string> Gpt2Defaults = new Dictionary<string, string>
    {
        ["bos_token"] = "<|endoftext|>", ["eos_token"] = "<|endoftext|>", ["unk_token"] = "<|endoftext|>",
    };

    /// <summary>RobertaTokenizer's defaults.</summary>
    internal static readonly IReadOnlyDictionary<string, string> RobertaDefaults = new Dictionary<string, string>
    {
        ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["sep_token"] = "</s>", ["cls_token"] = "<s>",
        ["unk_token"] = "<unk>", ["pad_token"] = "<pad>", ["mask_token"] = "<mask>",
    };

    /// <summary>LlamaTokenizer's defaults.</summary>
    internal static readonly IReadOnlyDictionary<string, string> SentencePieceDefaults = new Dictionary<string, string>
    {
        ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["unk_token"] = "<unk>",
    };

    internal static readonly IReadOnlyDictionary<string, string> NoDefaults = new Dictionary<string, string>();

    internal static SpecialTokenIds Resolve(TokenizerFolderConfig config, Func<string, int?> tokenToId,
        IReadOnlyDictionary<string, string> defaults)
    {
        int? Id(string role)
        {
            if (config.Token(role) is { } configured && tokenToId(configured) is int id)
                return id;
            if (defaults.TryGetValue(role, out var d) && tokenToId(d) is int did)
                return did;
            return config.ModelConfigId(role + "_id");
        }
        return new SpecialTokenIds(Id("bos_token"), Id("eos_token"), Id("pad_token"), Id("unk_token"),
            Id("mask_token"), Id("cls_token"), Id("sep_token"));
    }
}
