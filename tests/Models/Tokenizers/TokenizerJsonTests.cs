using KnPipeline.Stages.Models.Tokenizers;
using Xunit;

namespace KnPipeline.Tests.Models.Tokenizers;

/// <summary>
/// Small hand-written tokenizer.json files, one per model type, with ids derived by hand (and checked against HF
/// tokenizers 0.23).
/// </summary>
public class TokenizerJsonTests
{
    private static HfTokenizer Load(TempFolder dir, string json) =>
        HfTokenizer.FromTokenizerJson(dir.Write("tokenizer.json", json));

    // LLaMA-2 style: Metaspace (prepend "▁" to the first piece only, no split), BPE with byte_fallback and fuse_unk,
    // the ▁→space / ByteFallback / Fuse / Strip decoder and a "<s> $A" template. Merges in rank order.
    private const string Llama2Style = """
        {"version": "1.0",
         "added_tokens": [
           {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
           {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
           {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
         "normalizer": null,
         "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false},
         "post_processor": {"type": "TemplateProcessing",
           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "pair": [],
           "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
         "decoder": {"type": "Sequence", "decoders": [
           {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
           {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
         "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null,
           "end_of_word_suffix": null, "fuse_unk": true, "byte_fallback": true, "ignore_merges": false,
           "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0xE6>": 3, "<0x9D>": 4, "<0xB1>": 5, "▁": 6, "P": 7, "a": 8,
             "r": 9, "i": 10, "s": 11, "▁P": 12, "ar": 13, "is": 14, "▁Par": 15, "▁Paris": 16, "h": 17, "e": 18,
             "l": 19, "o": 20, "el": 21, "ll": 22, "lo": 23},
           "merges": [["▁", "P"], ["a", "r"], ["i", "s"], ["▁P", "ar"], ["▁Par", "is"], ["e", "l"], ["l", "l"], ["l", "o"]]}}
        """;

    [Fact]
    public void Llama2StyleBpeMergesByRankWithByteFallbackAndFusedUnk()
    {
        using var dir = new TempFolder();
        var tok = Load(dir, Llama2Style);

        Assert.Equal("tokenizer.json/bpe", tok.Kind);
        // "▁Paris": ▁+P (rank 0), a+r (1), i+s (2), ▁P+ar (3), ▁Par+is (4).
        Assert.Equal([16], tok.Encode("Paris"));
        Assert.Equal([1, 16], tok.EncodePrompt("Paris"));
        // "東" has no piece: its UTF-8 bytes E6 9D B1; "x" and "y" have neither piece nor byte piece: one fused <unk>.
        Assert.Equal([16, 6, 3, 4, 5, 0], tok.Encode("Paris 東xy"));
        // "▁hello": e+l (rank 5) wins over l+l (6), so the l's end up as el + lo, not ll.
        Assert.Equal([6, 17, 21, 23], tok.Encode("hello"));
        // "▁llo": l+l (6) before l+o (7).
        Assert.Equal([6, 22, 20], tok.Encode("llo"));
        // Special tokens in the text; the text after "<s>" is not at the start, so it gets no "▁".
        Assert.Equal([1, 7, 13, 14, 2], tok.Encode("<s>Paris</s>"));
        Assert.Equal("Paris 東<unk>", tok.Decode([16, 6, 3, 4, 5, 0]));
        Assert.Equal(1, tok.BosId);
        Assert.Equal(2, tok.EosId);
        Assert.Equal(0, tok.UnkId);
    }

    [Fact]
    public void Llama2StyleTargetIdsHaveTheSpaceMarkerOnlyAfterASpace()
    {
        using var dir = new TempFolder();
        var tok = Load(dir, Llama2Style);

        Assert.Equal([16], tok.TargetIds("Paris"));
        Assert.Equal([7, 13, 14], tok.TargetIds("Paris", spaceBefore: false));
    }

    private const string WordPieceJson = """
        {"version": "1.0",
         "added_tokens": [
           {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
           {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
           {"id": 2, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
           {"id": 3, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
           {"id": 4, "content": "[MASK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
         "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
         "pre_tokenizer": {"type": "BertPreTokenizer"},
         "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
         "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
         "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
           "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "the": 5, "capital": 6, "of": 7,
             "france": 8, "is": 9, "paris": 10, ".": 11, "un": 12, "##aff": 13, "##able": 14, "cafe": 15, "東": 16, "京": 17}}}
        """;

    [Fact]
    public void WordPieceJsonNormalizesSplitsAndWrapsInClsSep()
    {
        using var dir = new TempFolder();
        var tok = Load(dir, WordPieceJson);

        Assert.Equal("tokenizer.json/wordpiece", tok.Kind);
        Assert.Equal([2, 5, 6, 7, 8, 9, 10, 11, 3], tok.EncodePrompt("The capital of France is Paris."));
        // Lowercase + accent stripping, ## pieces, an unknown word, CJK split per character.
        Assert.Equal([15, 12, 13, 14, 1, 16, 17], tok.Encode("Café unaffable xyz 東京"));
        Assert.Equal([2, 10, 9, 4, 11, 3], tok.EncodePrompt("Paris is [MASK]."));
        Assert.Equal(4, tok.MaskId);
        Assert.Equal(2, tok.ClsId);
        Assert.Equal(3, tok.SepId);
        Assert.Equal("paris is unaffable.", tok.Decode([10, 9, 12, 13, 14, 11]));
        Assert.Equal([10], tok.TargetIds("Paris"));
    }

    // A SentencePiece unigram model: "▁" prepended to every word (Metaspace "always"), Viterbi over the scores.
    private const string UnigramJson = """
        {"version": "1.0",
         "added_tokens": [
           {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
           {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
         "normalizer": null,
         "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
         "post_processor": null,
         "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
         "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": false, "vocab": [
           ["<unk>", 0.0], ["<s>", 0.0], ["</s>", 0.0], ["▁", -2.0], ["▁the", -3.0], ["▁t", -4.5], ["h", -4.0],
           ["e", -4.0], ["▁cap", -5.0], ["ital", -5.5], ["i", -4.2], ["t", -4.1], ["a", -4.0], ["l", -4.3]]}}
        """;

    [Fact]
    public void UnigramPicksTheBestScoringSegmentation()
    {
        using var dir = new TempFolder();
        var tok = Load(dir, UnigramJson);

        Assert.Equal("tokenizer.json/unigram", tok.Kind);
        // "▁the": one piece (−3) beats ▁t·h·e (−12.5) and ▁·t·h·e (−14.1).
        Assert.Equal([4], tok.Encode("the"));
        // "▁capital": ▁cap + ital (−10.5) beats ▁cap + i·t·a·l (−21.6).
        Assert.Equal([4, 8, 9], tok.Encode("the capital"));
        // "▁zz": "▁" then one fused <unk> for both unknown characters.
        Assert.Equal([3, 0], tok.Encode("zz"));
        Assert.Equal("the capital", tok.Decode([4, 8, 9]));
        Assert.Equal([8, 9], tok.TargetIds("capital"));
    }
}
