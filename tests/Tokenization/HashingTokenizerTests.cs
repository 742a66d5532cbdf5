using KnPipeline.Stages.Tokenization;
using Xunit;

namespace KnPipeline.Tests.Tokenization;

public sealed class HashingTokenizerTests
{
    [Fact]
    public void IdsAreDeterministicInRangeAndMarkALeadingSpace()
    {
        var t = new HashingTokenizer(vocabSize: 1000);
        int[] a = t.Encode("Dante was born in");
        Assert.Equal(a, new HashingTokenizer(vocabSize: 1000).Encode("Dante was born in"));
        Assert.Equal(5, a.Length); // Dant·e was born in
        Assert.All(a, id => Assert.InRange(id, HashingTokenizer.FirstPieceId, 999));
        Assert.NotEqual(t.TargetIds("Paris", spaceBefore: true), t.TargetIds("Paris", spaceBefore: false));
        Assert.Equal(t.Encode("Dante"), t.EncodePrompt("Dante"));
    }

    [Fact]
    public void LongWordsSplitIntoPiecesAndCjkIsOneCharacterAPiece()
    {
        var t = new HashingTokenizer(maxPieceChars: 4);
        Assert.Equal(3, t.Encode("Königsberg").Length);
        Assert.Equal(6, t.Encode("フィレンツェ").Length);
        Assert.Equal(3, t.Encode("Paris.").Length); // Pari·s·.
        Assert.Equal([HashingTokenizer.UnkToken], t.Encode("\u0007"));
    }

    [Fact]
    public void MaskedModeWrapsPromptsAndReadsMaskTokens()
    {
        var t = new HashingTokenizer(masked: true);
        int[] ids = t.EncodePrompt("Dante was born in [MASK] [MASK].");
        Assert.Equal(HashingTokenizer.ClsToken, ids[0]);
        Assert.Equal(HashingTokenizer.SepToken, ids[^1]);
        Assert.Equal(2, ids.Count(id => id == HashingTokenizer.MaskToken));
        Assert.Equal("[MASK]", t.IdToToken(t.MaskId!.Value));
        Assert.Null(new HashingTokenizer().MaskId);
    }
}
