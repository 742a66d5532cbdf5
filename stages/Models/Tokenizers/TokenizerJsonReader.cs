using System.Text.Json;
using KnPipeline.Stages.Models.Tokenizers.Hf;

namespace KnPipeline.Stages.Models.Tokenizers;

/// <summary>
/// Parses a Hugging Face tokenizer.json into <see cref="HfTokenizer"/>. Microsoft.ML.Tokenizers 2.0.1 has no loader
/// for this format, so the model section (BPE, WordPiece, Unigram, WordLevel) is read here, and the other sections by
/// <see cref="ComponentReader"/>. Every error names the file and the JSON path.
/// </summary>
internal static class TokenizerJsonReader
{
    public static HfTokenizer Read(string path, TokenizerFolderConfig config)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: malformed JSON: {e.Message}", e);
        }
        using (doc)
        {
            var json = new JsonFields(path);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw json.Error("$", "expected a JSON object");

            var model = Model(json, json.Object(root, "model", "$"));
            var added = AddedTokens(json, root);
            int? TokenToId(string t) => added.FirstOrDefault(a => a.Content == t)?.Id ?? model.TokenToId(t);

            var components = new ComponentReader(json, TokenToId);
            var normalizer = components.Normalizer(Section(root, "normalizer"), "$.normalizer");
            var preTokenizer = components.PreTokenizer(Section(root, "pre_tokenizer"), "$.pre_tokenizer");
            var decoder = components.Decoder(Section(root, "decoder"), "$.decoder");
            var post = components.PostProcessor(Section(root, "post_processor"), "$.post_processor");

            // Family defaults only fill roles the folder's configuration leaves open, and only with tokens that exist.
            var defaults = model.Kind == "wordpiece" ? SpecialTokenIds.BertDefaults
                : post?.IsRoberta == true ? SpecialTokenIds.RobertaDefaults
                : TokenToId("<|endoftext|>") != null ? SpecialTokenIds.Gpt2Defaults
                : SpecialTokenIds.SentencePieceDefaults;
            return new HfTokenizer("tokenizer.json/" + model.Kind, model, normalizer, preTokenizer, decoder, added,
                post, config, defaults);
        }
    }

    private static readonly JsonElement Null = JsonDocument.Parse("null").RootElement.Clone();

    private static JsonElement Section(JsonElement root, string name) => root.TryGetProperty(name, out var e) ? e : Null;

    private static IHfModel Model(JsonFields json, JsonElement m)
    {
        const string path = "$.model";
        // Old files (GPT-2's among them) have no "type": tell the model by its fields, as HF's deserializer does.
        string type = json.Str(m, "type", path) ??
                      (m.TryGetProperty("merges", out _) ? "BPE"
                          : m.TryGetProperty("vocab", out var v) && v.ValueKind == JsonValueKind.Array ? "Unigram"
                          : m.TryGetProperty("continuing_subword_prefix", out _) ? "WordPiece" : "WordLevel");
        switch (type)
        {
            case "BPE":
                return new BpeModel(VocabObject(json, m, path), Merges(json, m, path), json.Str(m, "unk_token", path),
                    json.Str(m, "continuing_subword_prefix", path), json.Str(m, "end_of_word_suffix", path),
                    json.Bool(m, "fuse_unk", path, false), json.Bool(m, "byte_fallback", path, false),
                    json.Bool(m, "ignore_merges", path, false), json.File);
            case "WordPiece":
                return new WordPieceModel(VocabObject(json, m, path), json.Str(m, "unk_token", path) ?? "[UNK]",
                    json.Str(m, "continuing_subword_prefix", path) ?? "##",
                    json.Int(m, "max_input_chars_per_word", path) ?? 100, json.File);
            case "WordLevel":
                return new WordLevelModel(VocabObject(json, m, path), json.Str(m, "unk_token", path), json.File);
            case "Unigram":
                var pieces = new List<(string, double)>();
                int i = 0;
                foreach (var entry in json.Array(m, "vocab", path))
                {
                    if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() != 2 ||
                        entry[0].ValueKind != JsonValueKind.String || entry[1].ValueKind != JsonValueKind.Number)
                        throw json.Error($"{path}.vocab[{i}]", "expected [\"piece\", score]");
                    pieces.Add((entry[0].GetString()!, entry[1].GetDouble()));
                    i++;
                }
                return new UnigramModel(pieces, json.Int(m, "unk_id", path), json.Bool(m, "byte_fallback", path, false),
                    json.File);
            default:
                throw json.Error(path + ".type", $"model type '{type}' is not supported");
        }
    }

    private static Dictionary<string, int> VocabObject(JsonFields json, JsonElement m, string path)
    {
        var vocab = json.Object(m, "vocab", path);
        var d = new Dictionary<string, int>();
        foreach (var p in vocab.EnumerateObject())
            d[p.Name] = p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out int id) ? id
                : throw json.Error($"{path}.vocab[\"{p.Name}\"]", "expected an integer id");
        return d;
    }

    /// <summary>Merges as "a b" strings (older files) or ["a", "b"] pairs (newer files, tokens may hold spaces).</summary>
    private static List<(string, string)> Merges(JsonFields json, JsonElement m, string path)
    {
        var merges = new List<(string, string)>();
        int i = 0;
        foreach (var e in json.Array(m, "merges", path))
        {
            if (e.ValueKind == JsonValueKind.String)
            {
                string[] parts = e.GetString()!.Split(' ');
                if (parts.Length != 2)
                    throw json.Error($"{path}.merges[{i}]", $"'{e.GetString()}' is not two tokens separated by a space");
                merges.Add((parts[0], parts[1]));
            }
            else if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 2 &&
                     e[0].ValueKind == JsonValueKind.String && e[1].ValueKind == JsonValueKind.String)
                merges.Add((e[0].GetString()!, e[1].GetString()!));
            else
                throw json.Error($"{path}.merges[{i}]", "expected \"a b\" or [\"a\", \"b\"]");
            i++;
        }
        return merges;
    }

    private static List<AddedToken> AddedTokens(JsonFields json, JsonElement root)
    {
        var list = new List<AddedToken>();
        int i = 0;
        foreach (var t in json.Array(root, "added_tokens", "$"))
        {
            string p = $"$.added_tokens[{i++}]";
            list.Add(new AddedToken(json.Int(t, "id", p) ?? throw json.Error(p, "has no id"),
                json.Str(t, "content", p) ?? throw json.Error(p, "has no content"),
                json.Bool(t, "special", p, false), json.Bool(t, "single_word", p, false),
                json.Bool(t, "lstrip", p, false), json.Bool(t, "rstrip", p, false),
                json.Bool(t, "normalized", p, true)));
        }
        return list;
    }
}
