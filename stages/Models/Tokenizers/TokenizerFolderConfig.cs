using System.Text.Json;

namespace KnPipeline.Stages.Models.Tokenizers;

/// <summary>
/// The tokenizer settings a Hugging Face model folder keeps beside the tokenizer files: tokenizer_config.json
/// (add_bos_token, casing, special token strings, added_tokens_decoder), special_tokens_map.json (its token strings win,
/// as in transformers) and config.json (bos/eos/pad ids, used when no token string resolves). Every file is optional.
/// </summary>
public sealed class TokenizerFolderConfig
{
    private static readonly string[] TokenKeys =
        ["bos_token", "eos_token", "unk_token", "pad_token", "mask_token", "cls_token", "sep_token"];

    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _modelConfigIds = new(StringComparer.Ordinal);

    public bool? AddBosToken { get; private set; }
    public bool? AddEosToken { get; private set; }
    public bool? AddPrefixSpace { get; private set; }
    public bool? DoLowerCase { get; private set; }
    public bool? StripAccents { get; private set; }
    public bool? TokenizeChineseChars { get; private set; }
    public string? TokenizerClass { get; private set; }

    /// <summary>tokenizer_config.json's added_tokens_decoder: id, content, special.</summary>
    public IReadOnlyList<(int Id, string Content, bool Special)> AddedTokens { get; private set; } = [];

    /// <summary>The token string configured for a role ("bos_token", "mask_token", …), or null.</summary>
    public string? Token(string key) => _tokens.GetValueOrDefault(key);

    /// <summary>config.json's id for a role ("bos_token_id", "eos_token_id", "pad_token_id"), or null.</summary>
    public int? ModelConfigId(string key) => _modelConfigIds.TryGetValue(key, out int id) ? id : null;

    /// <summary>Reads whichever of the three files exist in <paramref name="dir"/>.</summary>
    public static TokenizerFolderConfig Read(string dir)
    {
        var c = new TokenizerFolderConfig();
        if (Load(Path.Combine(dir, "tokenizer_config.json")) is { } tc)
            c.ReadTokenizerConfig(tc.RootElement);
        if (Load(Path.Combine(dir, "special_tokens_map.json")) is { } sm)
            c.ReadTokenStrings(sm.RootElement);
        if (Load(Path.Combine(dir, "config.json")) is { } mc)
            c.ReadModelConfig(mc.RootElement);
        return c;
    }

    private static JsonDocument? Load(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: expected a JSON object at the top level");
            return doc;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: malformed JSON: {e.Message}", e);
        }
    }

    private void ReadTokenizerConfig(JsonElement root)
    {
        AddBosToken = Bool(root, "add_bos_token");
        AddEosToken = Bool(root, "add_eos_token");
        AddPrefixSpace = Bool(root, "add_prefix_space");
        DoLowerCase = Bool(root, "do_lower_case");
        StripAccents = Bool(root, "strip_accents");
        TokenizeChineseChars = Bool(root, "tokenize_chinese_chars");
        TokenizerClass = root.TryGetProperty("tokenizer_class", out var cls) && cls.ValueKind == JsonValueKind.String
            ? cls.GetString() : null;
        ReadTokenStrings(root);
        if (root.TryGetProperty("added_tokens_decoder", out var atd) && atd.ValueKind == JsonValueKind.Object)
        {
            var list = new List<(int, string, bool)>();
            foreach (var p in atd.EnumerateObject())
                if (int.TryParse(p.Name, out int id) && TokenString(p.Value) is { } content)
                    list.Add((id, content, Bool(p.Value, "special") ?? false));
            AddedTokens = list;
        }
    }

    private void ReadTokenStrings(JsonElement root)
    {
        foreach (string key in TokenKeys)
            if (root.TryGetProperty(key, out var v) && TokenString(v) is { } s)
                _tokens[key] = s;
    }

    private void ReadModelConfig(JsonElement root)
    {
        foreach (string key in (string[])["bos_token_id", "eos_token_id", "pad_token_id"])
        {
            if (!root.TryGetProperty(key, out var v))
                continue;
            // LLaMA-3.1 lists several EOS ids; the first is the tokenizer's own.
            if (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0)
                v = v[0];
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int id))
                _modelConfigIds[key] = id;
        }
    }

    /// <summary>A token given as a string or as an AddedToken object {"content": ...}.</summary>
    private static string? TokenString(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Object when v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String =>
            c.GetString(),
        _ => null,
    };

    private static bool? Bool(JsonElement o, string key) =>
        o.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean() : null;
}
