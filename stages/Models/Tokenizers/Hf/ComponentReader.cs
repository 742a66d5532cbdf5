using System.Text;
using System.Text.Json;

namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>
/// Builds the normalizer, pre-tokenizer, decoder and post-processor objects from their tokenizer.json sections.
/// A type this project does not implement is an error naming the file and the section, never a silent skip.
/// </summary>
internal sealed class ComponentReader(JsonFields json, Func<string, int?> tokenToId)
{
    public IHfNormalizer? Normalizer(JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.Null)
            return null;
        return json.Type(e, path) switch
        {
            "Sequence" => new SequenceNormalizer(
                json.Array(e, "normalizers", path).Select((n, i) => Normalizer(n, $"{path}.normalizers[{i}]"))
                    .OfType<IHfNormalizer>().ToList()),
            "NFC" => new UnicodeFormNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeFormNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeFormNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeFormNormalizer(NormalizationForm.FormKD),
            "Lowercase" => new LowercaseNormalizer(),
            "Strip" => new StripNormalizer(json.Bool(e, "strip_left", path, true), json.Bool(e, "strip_right", path, true)),
            "StripAccents" => new StripAccentsNormalizer(),
            "Prepend" => new PrependNormalizer(json.Str(e, "prepend", path) ?? throw json.Error(path, "Prepend has no \"prepend\"")),
            "Replace" => new ReplaceNormalizer(json.Pattern(e, path), json.Str(e, "content", path) ?? ""),
            "BertNormalizer" => new BertTextNormalizer(json.Bool(e, "clean_text", path, true),
                json.Bool(e, "handle_chinese_chars", path, true), json.OptBool(e, "strip_accents", path),
                json.Bool(e, "lowercase", path, true)),
            "Nmt" => new NmtNormalizer(),
            "ByteLevel" => new ByteLevelNormalizer(),
            "Precompiled" => PrecompiledNormalizer.FromBase64(
                json.Str(e, "precompiled_charsmap", path) ?? "", json, path),
            var t => throw json.Error(path, $"normalizer type '{t}' is not supported"),
        };
    }

    public IHfPreTokenizer? PreTokenizer(JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.Null)
            return null;
        return json.Type(e, path) switch
        {
            "Sequence" => new SequencePreTokenizer(
                json.Array(e, "pretokenizers", path).Select((p, i) => PreTokenizer(p, $"{path}.pretokenizers[{i}]"))
                    .OfType<IHfPreTokenizer>().ToList()),
            "ByteLevel" => new ByteLevelPreTokenizer(json.Bool(e, "add_prefix_space", path, true),
                json.Bool(e, "use_regex", path, true)),
            "Split" => new SplitPreTokenizer(json.Pattern(e, path), Behavior(e, path, null),
                json.Bool(e, "invert", path, false)),
            "Metaspace" => new MetaspacePreTokenizer(json.Char(e, "replacement", path, '▁'), PrependScheme(e, path),
                json.Bool(e, "split", path, true)),
            "Whitespace" => SplitPreTokenizer.Whitespace(),
            "WhitespaceSplit" => new SplitPreTokenizer(CharClasses.IsWhitespace, SplitBehavior.Removed),
            "BertPreTokenizer" => new BertPreTokenizer(),
            "Punctuation" => new SplitPreTokenizer(CharClasses.IsBertPunctuation,
                Behavior(e, path, SplitBehavior.Isolated)),
            "Digits" => new SplitPreTokenizer(CharClasses.IsNumeric,
                json.Bool(e, "individual_digits", path, false) ? SplitBehavior.Isolated : SplitBehavior.Contiguous),
            "CharDelimiterSplit" => new SplitPreTokenizer(
                DelimiterPredicate(json.Str(e, "delimiter", path) ?? throw json.Error(path, "has no \"delimiter\"")),
                SplitBehavior.Removed),
            var t => throw json.Error(path, $"pre_tokenizer type '{t}' is not supported"),
        };
    }

    public IHfDecoder? Decoder(JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.Null)
            return null;
        return json.Type(e, path) switch
        {
            "Sequence" => new SequenceDecoder(
                json.Array(e, "decoders", path).Select((d, i) => Decoder(d, $"{path}.decoders[{i}]"))
                    .OfType<IHfDecoder>().ToList()),
            "ByteLevel" => new ByteLevelDecoder(),
            "Metaspace" => new MetaspaceDecoder(json.Char(e, "replacement", path, '▁'), PrependScheme(e, path)),
            "WordPiece" => new WordPieceDecoder(json.Str(e, "prefix", path) ?? "##", json.Bool(e, "cleanup", path, true)),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(json.Char(e, "content", path, ' '), json.Int(e, "start", path) ?? 0,
                json.Int(e, "stop", path) ?? 0),
            "Replace" => new ReplaceDecoder(json.Pattern(e, path), json.Str(e, "content", path) ?? ""),
            "BPEDecoder" => new BpeSuffixDecoder(json.Str(e, "suffix", path) ?? "</w>"),
            var t => throw json.Error(path, $"decoder type '{t}' is not supported"),
        };
    }

    /// <summary>The special ids a post_processor puts around one sequence.</summary>
    public PostProcessing? PostProcessor(JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.Null)
            return null;
        switch (json.Type(e, path))
        {
            case "Sequence":
                var all = PostProcessing.None;
                int i = 0;
                foreach (var p in json.Array(e, "processors", path))
                    all = all.Then(PostProcessor(p, $"{path}.processors[{i++}]") ?? PostProcessing.None);
                return all;
            case "ByteLevel":
                return PostProcessing.None;
            case "BertProcessing":
                return new PostProcessing([PairId(e, "cls", path)], [PairId(e, "sep", path)]);
            case "RobertaProcessing":
                return new PostProcessing([PairId(e, "cls", path)], [PairId(e, "sep", path)], IsRoberta: true);
            case "TemplateProcessing":
                return Template(e, path);
            case var t:
                throw json.Error(path, $"post_processor type '{t}' is not supported");
        }
    }

    private PostProcessing Template(JsonElement e, string path)
    {
        var specials = e.TryGetProperty("special_tokens", out var st) && st.ValueKind == JsonValueKind.Object
            ? st : default;
        var prefix = new List<int>();
        var suffix = new List<int>();
        bool seenSequence = false;
        int i = 0;
        foreach (var item in json.Array(e, "single", path))
        {
            string itemPath = $"{path}.single[{i++}]";
            if (item.TryGetProperty("Sequence", out _))
            {
                seenSequence = true;
                continue;
            }
            var sp = json.Object(item, "SpecialToken", itemPath);
            string name = json.Str(sp, "id", itemPath + ".SpecialToken") ?? throw json.Error(itemPath, "has no id");
            List<int> ids;
            if (specials.ValueKind == JsonValueKind.Object && specials.TryGetProperty(name, out var def))
                ids = json.Array(def, "ids", $"{path}.special_tokens.{name}").Select(x => x.GetInt32()).ToList();
            else
                ids = [tokenToId(name) ?? throw json.Error(itemPath, $"special token '{name}' is not defined")];
            (seenSequence ? suffix : prefix).AddRange(ids);
        }
        return new PostProcessing([.. prefix], [.. suffix]);
    }

    /// <summary>BertProcessing's ["[CLS]", 101] pairs.</summary>
    private int PairId(JsonElement e, string name, string path)
    {
        if (e.TryGetProperty(name, out var pair) && pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2
            && pair[1].TryGetInt32(out int id))
            return id;
        throw json.Error($"{path}.{name}", "expected [\"token\", id]");
    }

    private SplitBehavior Behavior(JsonElement e, string path, SplitBehavior? missing)
    {
        string? b = json.Str(e, "behavior", path);
        if (b == null)
            return missing ?? throw json.Error(path, "has no \"behavior\"");
        return Enum.TryParse<SplitBehavior>(b, out var behavior) ? behavior
            : throw json.Error(path + ".behavior", $"unknown split behavior '{b}'");
    }

    /// <summary>prepend_scheme, or the older add_prefix_space flag (true → "always", false → "never").</summary>
    private string PrependScheme(JsonElement e, string path)
    {
        string? scheme = json.Str(e, "prepend_scheme", path);
        if (scheme != null)
            return scheme is "always" or "first" or "never" ? scheme
                : throw json.Error(path + ".prepend_scheme", $"unknown prepend_scheme '{scheme}'");
        return json.Bool(e, "add_prefix_space", path, true) ? "always" : "never";
    }

    private static Func<Rune, bool> DelimiterPredicate(string delimiter)
    {
        Rune d = Rune.GetRuneAt(delimiter, 0);
        return r => r == d;
    }
}
