using System.Text.Json.Nodes;
using KnPipeline.Stages.Models.Tokenizers;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Models.Tokenizers;

/// <summary>
/// GPT-2 byte-level BPE, loaded both from vocab.json + merges.txt and, through our own implementation, from the
/// tokenizer.json of ../shared/reference/gpt2-tokenizer. Expected ids were checked against HF tokenizers 0.23.
/// </summary>
public class Gpt2TokenizerTests
{
    private const string Dir = "reference/gpt2-tokenizer";

    // Accents, CJK, emoji, digits, an em dash, runs of spaces, newlines and a contraction.
    private const string Multilingual =
        "Héllo wörld!  It's 2024 — 東京は日本の首都です 🎉🎉\n\n   naïve café   x";

    private static TempFolder FolderWith(params string[] files) =>
        new TempFolder().CopyFrom(SharedData.Path(Dir), files);

    [SharedFact(Dir + "/vocab.json")]
    public void VocabAndMergesGiveTheKnownGpt2Ids()
    {
        using var dir = FolderWith("vocab.json", "merges.txt");
        var tok = TokenizerFactory.FromModelFolder(dir.Path);

        Assert.Equal("byte-bpe", tok.Kind);
        Assert.Equal(50257, tok.VocabSize);
        Assert.Equal([15496, 995], tok.Encode("Hello world"));
        Assert.Equal([464, 3139, 286, 4881, 318, 6342], tok.Encode("The capital of France is Paris"));
        Assert.Equal([464, 3139, 286, 4881, 318, 6342], tok.EncodePrompt("The capital of France is Paris"));
        Assert.Equal([6342], tok.TargetIds("Paris"));
        // No space before the object: "Paris" at the start of a word is its own token, not "ĠParis".
        Assert.Equal([40313], tok.TargetIds("Paris", spaceBefore: false));
        Assert.Equal(50256, tok.EosId);
        Assert.Equal(50256, tok.BosId);
        Assert.Null(tok.MaskId);
    }

    [SharedFact(Dir + "/vocab.json")]
    public void DigitsPunctuationAndSpaceRunsSplitAsGpt2Does()
    {
        using var dir = FolderWith("vocab.json", "merges.txt");
        var tok = TokenizerFactory.FromModelFolder(dir.Path);

        // Regex pieces: "In" " 2024" "," " they" "  " " paid" " $" "3" "." "50" "!". Of three spaces before "paid",
        // \s+(?!\S) takes two ("Ġ","Ġ": GPT-2 has no "ĠĠ" merge) and the third starts " paid"; "$3.50" is " $", "3",
        // ".", "50" because a space only attaches to the first piece after it.
        int[] ids = tok.Encode("In 2024, they   paid $3.50!");
        Assert.Equal([818, 48609, 11, 484, 220, 220, 3432, 720, 18, 13, 1120, 0], ids);
        Assert.Equal(["In", "Ġ2024", ",", "Ġthey", "Ġ", "Ġ", "Ġpaid", "Ġ$", "3", ".", "50", "!"],
            ids.Select(i => tok.IdToToken(i)));
        // "東京" is 6 UTF-8 bytes, written in the byte-level alphabet: æĿ ± äº ¬.
        Assert.Equal([30266, 109, 12859, 105], tok.Encode("東京"));
        Assert.Equal([10163, 2231], tok.Encode("12345"));
    }

    [SharedFact(Dir + "/tokenizer.json")]
    public void TokenizerJsonMatchesVocabAndMergesOnMultilingualText()
    {
        using var files = FolderWith("vocab.json", "merges.txt");
        using var json = FolderWith("tokenizer.json");
        var fromFiles = TokenizerFactory.FromModelFolder(files.Path);
        var fromJson = TokenizerFactory.FromModelFolder(json.Path);

        Assert.Equal("tokenizer.json/bpe", fromJson.Kind);
        int[] expected =
        [
            39, 2634, 18798, 266, 30570, 335, 0, 220, 632, 338, 48609, 851, 10545, 251, 109, 12859, 105, 31676, 33768,
            98, 17312, 105, 33426, 99, 244, 32849, 121, 30640, 33623, 12520, 236, 231, 8582, 236, 231, 628, 220, 220,
            41492, 40304, 220, 220, 2124,
        ];
        Assert.Equal(expected, fromFiles.Encode(Multilingual));
        Assert.Equal(expected, fromJson.Encode(Multilingual));
        Assert.Equal(Multilingual, fromJson.Decode(expected));
        Assert.Equal(Multilingual, fromFiles.Decode(expected));
        Assert.Equal(fromFiles.TargetIds("Paris"), fromJson.TargetIds("Paris"));
        Assert.Equal(fromFiles.VocabSize, fromJson.VocabSize);
    }

    [SharedFact(Dir + "/tokenizer.json")]
    public void EndOfTextInTheTextIsOneSpecialToken()
    {
        var tok = HfTokenizer.FromTokenizerJson(SharedData.Path(Dir, "tokenizer.json"));
        Assert.Equal([50256, 15496], tok.Encode("<|endoftext|>Hello"));
        Assert.Equal("<|endoftext|>Hello", tok.Decode([50256, 15496]));
    }

    [SharedFact(Dir + "/tokenizer.json")]
    public void Llama3StyleSplitRegexThenByteLevelSplitsDigitsInThrees()
    {
        // The GPT-2 tokenizer.json with LLaMA-3's pre-tokenizer and BOS template.
        var root = JsonNode.Parse(File.ReadAllText(SharedData.Path(Dir, "tokenizer.json")))!;
        root["pre_tokenizer"] = JsonNode.Parse("""
            {"type": "Sequence", "pretokenizers": [
              {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
               "behavior": "Isolated", "invert": false},
              {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}
            """);
        root["post_processor"] = JsonNode.Parse("""
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [], "special_tokens": {"<|endoftext|>": {"id": "<|endoftext|>", "ids": [50256], "tokens": ["<|endoftext|>"]}}}
            """);
        root["model"]!["ignore_merges"] = true;
        using var dir = new TempFolder();
        var tok = HfTokenizer.FromTokenizerJson(dir.Write("tokenizer.json", root.ToJsonString()));

        // \p{N}{1,3}: "12345" → "123" "45"; GPT-2's own regex keeps it whole and BPE happens to give the same.
        Assert.Equal([10163, 2231], tok.Encode("12345"));
        Assert.Equal(["123", "45"], tok.Encode("12345").Select(i => tok.IdToToken(i)));
        // "1234567" → "123" "456" "7"; the space before the digits is its own piece ("Ġ"), unlike GPT-2.
        Assert.Equal([14134, 220, 10163, 29228, 22, 783], tok.Encode("Call 1234567 now"));
        // The template adds the BOS.
        Assert.Equal([50256, 10163, 2231], tok.EncodePrompt("12345"));
        Assert.Equal([6342], tok.TargetIds("Paris"));
    }

    [SharedFact(Dir + "/tokenizer.json")]
    public void PrecompiledNormalizerAppliesSentencePieceRulesPerGrapheme()
    {
        var root = JsonNode.Parse(File.ReadAllText(SharedData.Path(Dir, "tokenizer.json")))!;
        string charsMap = PrecompiledCharsMap.Base64(new Dictionary<string, string>
        {
            ["Ａ"] = "A", ["ﬁ"] = "fi", ["e\u0301"] = "é", ["\u3000"] = " ", ["ＡＢ"] = "[AB]",
        });
        root["normalizer"] = new JsonObject { ["type"] = "Precompiled", ["precompiled_charsmap"] = charsMap };
        using var dir = new TempFolder();
        var tok = HfTokenizer.FromTokenizerJson(dir.Write("tokenizer.json", root.ToJsonString()));

        // Byte-level BPE is lossless, so decoding shows the normalized text (results as HF tokenizers gives them).
        string Normalized(string s) => tok.Decode(tok.Encode(s));
        Assert.Equal("fine fish", Normalized("ﬁne ﬁsh"));
        Assert.Equal("café éé", Normalized("cafe\u0301 e\u0301e\u0301"));
        Assert.Equal("a b", Normalized("a\u3000b"));
        // "ＡＢ" is two graphemes, so its two-character rule never fires; each grapheme is looked up alone.
        Assert.Equal("AＢＣ", Normalized("ＡＢＣ"));
        // A grapheme takes the rule of its shortest matching prefix, dropping the rest (HF's spm_precompiled).
        Assert.Equal("é", Normalized("e\u0301\u0301"));
    }

    [SharedFact(Dir + "/tokenizer.json")]
    public void RobertaStyleProcessingWrapsPromptsAndLStripMaskAbsorbsTheSpace()
    {
        var root = JsonNode.Parse(File.ReadAllText(SharedData.Path(Dir, "tokenizer.json")))!;
        var added = root["added_tokens"]!.AsArray();
        foreach (var (id, content, lstrip) in (ValueTuple<int, string, bool>[])
                 [(50257, "<s>", false), (50258, "</s>", false), (50259, "<mask>", true), (50260, "<pad>", false)])
            added.Add(new JsonObject
            {
                ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = lstrip, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        root["post_processor"] = JsonNode.Parse(
            """{"type": "RobertaProcessing", "sep": ["</s>", 50258], "cls": ["<s>", 50257], "trim_offsets": true}""");
        using var dir = new TempFolder();
        var tok = HfTokenizer.FromTokenizerJson(dir.Write("tokenizer.json", root.ToJsonString()));

        // RoBERTa's names resolve with no tokenizer_config.json (transformers' RobertaTokenizer defaults).
        Assert.Equal((50257, 50258, 50259, 50260), (tok.ClsId!.Value, tok.SepId!.Value, tok.MaskId!.Value, tok.PadId!.Value));
        // "<mask>" has lstrip: the space before it goes with it, so " is" is followed by the mask id, not by "Ġ".
        Assert.Equal([50257, 40313, 318, 50259, 13, 50258], tok.EncodePrompt("Paris is <mask>."));
        Assert.Equal(50257 + 4, tok.VocabSize);
    }

    [SharedFact(Dir + "/tokenizer.json")]
    public void Qwen2StyleNfcAndArrayMergesMatchTheGpt2Ids()
    {
        var root = JsonNode.Parse(File.ReadAllText(SharedData.Path(Dir, "tokenizer.json")))!;
        root["normalizer"] = JsonNode.Parse("""{"type": "NFC"}""");
        root["pre_tokenizer"] = JsonNode.Parse("""
            {"type": "Sequence", "pretokenizers": [
              {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
               "behavior": "Isolated", "invert": false},
              {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]}
            """);
        var merges = root["model"]!["merges"]!.AsArray();
        root["model"]!["merges"] = new JsonArray(
            [.. merges.Select(m => (JsonNode)new JsonArray([.. m!.GetValue<string>().Split(' ').Select(x => (JsonNode)x!)]))]);
        using var dir = new TempFolder();
        var tok = HfTokenizer.FromTokenizerJson(dir.Write("tokenizer.json", root.ToJsonString()));

        // Every digit alone (\p{N}); NFC composes "e" + U+0301 into "é" before the byte-level step.
        Assert.Equal([16, 17, 18], tok.Encode("123"));
        Assert.Equal(tok.Encode("café"), tok.Encode("cafe\u0301"));
        Assert.Equal([464, 3139, 286, 4881, 318, 6342], tok.Encode("The capital of France is Paris"));
    }
}
