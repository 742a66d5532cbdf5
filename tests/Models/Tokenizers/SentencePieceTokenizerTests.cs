using KnPipeline.Stages.Models.Tokenizers;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Models.Tokenizers;

/// <summary>
/// The stories260K SentencePiece BPE tokenizer (512 pieces, byte fallback, dummy prefix, BOS on by default); ids from
/// ../shared/models/stories260K/README.md and the Python sentencepiece ids quoted below.
/// </summary>
public class SentencePieceTokenizerTests
{
    private const string Dir = "models/stories260K";

    [SharedFact(Dir + "/tokenizer.model")]
    public void PromptGetsBosAndTheReferenceIds()
    {
        var tok = TokenizerFactory.FromModelFolder(SharedData.Path(Dir));

        Assert.Equal("sentencepiece", tok.Kind);
        Assert.Equal(512, tok.VocabSize);
        Assert.Equal([1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315],
            tok.EncodePrompt("Once upon a time, there was a little gir"));
        Assert.Equal([1, 403, 407, 261, 378, 432, 383, 286, 261, 280, 294, 426],
            tok.EncodePrompt("Once upon a time, there was a cat."));
        Assert.Equal([403, 407], tok.Encode("Once upon"));
        Assert.Equal(1, tok.BosId);
        Assert.Equal(2, tok.EosId);
        Assert.Equal(0, tok.UnkId);
        Assert.Equal("▁Once", tok.IdToToken(403));
        Assert.Equal(403, tok.TokenToId("▁Once"));
    }

    [SharedFact(Dir + "/tokenizer.model")]
    public void TargetIdsCarryTheSpaceMarkerOnlyWhenTheObjectFollowsASpace()
    {
        var tok = TokenizerFactory.FromModelFolder(SharedData.Path(Dir));

        Assert.Equal([317], tok.TargetIds("Lily"));                         // "▁Lily" is one piece
        Assert.Equal([410, 460, 295, 293], tok.TargetIds("Paris"));         // ▁ P ar is
        Assert.Equal([460, 295, 293], tok.TargetIds("Paris", spaceBefore: false));
        // Written without spaces (ja/zh): byte-fallback pieces <0xE6><0x9D><0xB1><0xE4><0xBA><0xAC>, no "▁".
        Assert.Equal([233, 160, 180, 231, 189, 175], tok.TargetIds("東京", spaceBefore: false));
        Assert.DoesNotContain(1, tok.TargetIds("Once"));
    }

    [SharedFact(Dir + "/tokenizer.model")]
    public void DecodeRestoresTextIncludingByteFallbackCharacters()
    {
        var tok = TokenizerFactory.FromModelFolder(SharedData.Path(Dir));
        const string text = "Héllo  東京 x";
        Assert.Equal(text, tok.Decode(tok.Encode(text)));
        Assert.Equal("Once upon a time", tok.Decode(tok.Encode("Once upon a time")));
    }

    [SharedFact(Dir + "/tokenizer.model")]
    public void AddBosTokenFalseInTheConfigLeavesPromptsWithoutBos()
    {
        using var dir = new TempFolder().CopyFrom(SharedData.Path(Dir), "tokenizer.model");
        dir.Write("tokenizer_config.json", """{"add_bos_token": false, "bos_token": {"content": "<s>"}}""");
        var tok = TokenizerFactory.FromModelFolder(dir.Path);

        Assert.Equal([403, 407], tok.EncodePrompt("Once upon"));
        Assert.Equal(1, tok.BosId);
    }

    [SharedFact(Dir + "/tokenizer.model")]
    public void ConvertedTokenizerJsonEncodesLikeTheSentencePieceModel()
    {
        // The LLaMA-2 tokenizer.json path (Metaspace, BPE merges, byte fallback) against the real SentencePiece model.
        using var dir = new TempFolder();
        var json = HfTokenizer.FromTokenizerJson(
            dir.Write("tokenizer.json", SentencePieceToTokenizerJson.Convert(SharedData.Path(Dir, "tokenizer.model"))));
        var sp = TokenizerFactory.FromModelFolder(SharedData.Path(Dir));

        Assert.Equal([1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315],
            json.EncodePrompt("Once upon a time, there was a little gir"));
        // Not text that starts with a space: there HF's Metaspace adds no "▁" of its own, sentencepiece does.
        foreach (string text in (string[])["Once upon a time, there was a cat.", "Héllo  東京 x",
                     "Lily's dog said \"hi\"!",
                     "two  inner  spaces", "trailing  ", "a\nb\tc", "12345 🎉"])
        {
            Assert.Equal(sp.Encode(text), json.Encode(text));
            Assert.Equal(text, json.Decode(json.Encode(text)));
        }
        foreach (string obj in (string[])["Paris", "Lily", "東京"])
        {
            Assert.Equal(sp.TargetIds(obj), json.TargetIds(obj));
            Assert.Equal(sp.TargetIds(obj, spaceBefore: false), json.TargetIds(obj, spaceBefore: false));
        }
    }
}
