using KnPipeline.Stages.Models.Tokenizers;
using Xunit;

namespace KnPipeline.Tests.Models.Tokenizers;

/// <summary>BERT WordPiece from a hand-written vocab.txt, cased and uncased.</summary>
public class WordPieceTokenizerTests
{
    // id = line number.
    private static readonly string[] Vocab =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",                      // 0-4
        "the", "capital", "of", "france", "is", "paris", ".",              // 5-11
        "un", "##aff", "##able", "hello", "world", "!", "cafe",            // 12-18
        "The", "Paris", "France", "Héllo", "café", "naive", "東", "京",    // 19-26
    ];

    private static WordPieceTextTokenizer Load(TempFolder dir, string? config)
    {
        dir.Write("vocab.txt", string.Join("\n", Vocab) + "\n");
        if (config != null)
            dir.Write("tokenizer_config.json", config);
        return (WordPieceTextTokenizer)TokenizerFactory.FromModelFolder(dir.Path);
    }

    [Fact]
    public void UncasedLowercasesAndStripsAccents()
    {
        using var dir = new TempFolder();
        var tok = Load(dir, """{"do_lower_case": true}""");

        Assert.Equal("wordpiece", tok.Kind);
        Assert.Equal([5, 6, 7, 8, 9, 10, 11], tok.Encode("The capital of France is Paris."));
        // "Héllo" → "hello", "Café" → "cafe", "naïve" → "naive".
        Assert.Equal([15, 18, 24], tok.Encode("Héllo Café naïve"));
    }

    [Fact]
    public void CasedKeepsCaseAndAccents()
    {
        using var dir = new TempFolder();
        var tok = Load(dir, """{"do_lower_case": false}""");

        Assert.Equal([19, 6, 7, 21, 9, 20, 11], tok.Encode("The capital of France is Paris."));
        Assert.Equal([22, 23], tok.Encode("Héllo café"));
        Assert.Equal([1], tok.Encode("Hello"));   // only "hello" is in the vocabulary: cased, it is unknown
    }

    [Fact]
    public void PromptIsClsTextSepAndSpecialIdsResolve()
    {
        using var dir = new TempFolder();
        var tok = Load(dir, null);   // no config: transformers' BertTokenizer defaults (uncased)

        Assert.Equal([2, 10, 9, 4, 11, 3], tok.EncodePrompt("Paris is [MASK]."));
        Assert.Equal(2, tok.ClsId);
        Assert.Equal(3, tok.SepId);
        Assert.Equal(4, tok.MaskId);
        Assert.Equal(0, tok.PadId);
        Assert.Equal(1, tok.UnkId);
        Assert.Null(tok.BosId);
    }

    [Fact]
    public void ContinuationPiecesCarryHashesAndUnknownWordsBecomeUnk()
    {
        using var dir = new TempFolder();
        var tok = Load(dir, null);

        Assert.Equal([12, 13, 14], tok.Encode("unaffable"));
        Assert.Equal(["un", "##aff", "##able"], tok.Encode("unaffable").Select(i => tok.IdToToken(i)));
        Assert.Equal([15, 1, 16], tok.Encode("hello xyzzy world"));
        // CJK characters are split one by one.
        Assert.Equal([25, 26], tok.Encode("東京"));
        // A word start never carries "##"; the space flag changes nothing for WordPiece.
        Assert.Equal([10], tok.TargetIds("Paris"));
        Assert.Equal([10], tok.TargetIds("Paris", spaceBefore: false));
        Assert.Equal("unaffable", tok.Decode([12, 13, 14]));
    }
}
