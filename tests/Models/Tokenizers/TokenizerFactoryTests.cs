using KnPipeline.Stages.Models.Tokenizers;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Models.Tokenizers;

/// <summary>Which tokenizer a folder yields, how its special tokens resolve, and the errors for bad folders.</summary>
public class TokenizerFactoryTests
{
    private const string Gpt2 = "reference/gpt2-tokenizer";

    [Fact]
    public void MissingFilesNameTheFolderAndEveryFileLookedFor()
    {
        using var dir = new TempFolder();
        dir.Write("config.json", "{}");

        var e = Assert.Throws<FileNotFoundException>(() => TokenizerFactory.FromModelFolder(dir.Path));
        Assert.Contains(dir.Path, e.Message);
        foreach (string f in (string[])["tokenizer.json", "vocab.json", "merges.txt", "vocab.txt", "tokenizer.model"])
            Assert.Contains(f, e.Message);
    }

    [Fact]
    public void VocabJsonWithoutMergesIsReportedAsSuch()
    {
        using var dir = new TempFolder();
        dir.Write("vocab.json", """{"a": 0}""");

        var e = Assert.Throws<FileNotFoundException>(() => TokenizerFactory.FromModelFolder(dir.Path));
        Assert.Contains("merges.txt is missing", e.Message);
    }

    [Fact]
    public void AMissingFolderIsReported()
    {
        string path = Path.Combine(Path.GetTempPath(), "kn-no-such-folder-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<DirectoryNotFoundException>(() => TokenizerFactory.FromModelFolder(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void MalformedTokenizerJsonNamesTheFile()
    {
        using var dir = new TempFolder();
        string path = dir.Write("tokenizer.json", """{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [""");

        var e = Assert.Throws<InvalidDataException>(() => TokenizerFactory.FromModelFolder(dir.Path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void AnUnsupportedComponentNamesTheFileAndTheSection()
    {
        using var dir = new TempFolder();
        string path = dir.Write("tokenizer.json", """
            {"pre_tokenizer": {"type": "UnicodeScripts"},
             "model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": null}}
            """);

        var e = Assert.Throws<InvalidDataException>(() => TokenizerFactory.FromModelFolder(dir.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains("$.pre_tokenizer", e.Message);
        Assert.Contains("UnicodeScripts", e.Message);
    }

    [Fact]
    public void AMergeOutsideTheVocabularyNamesTheFileAndTheMerge()
    {
        using var dir = new TempFolder();
        string path = dir.Write("tokenizer.json", """
            {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}}
            """);

        var e = Assert.Throws<InvalidDataException>(() => TokenizerFactory.FromModelFolder(dir.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'ab'", e.Message);
    }

    [Fact]
    public void MalformedTokenizerConfigNamesTheFile()
    {
        using var dir = new TempFolder();
        dir.Write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n");
        string path = dir.Write("tokenizer_config.json", "{\"do_lower_case\": tru");

        var e = Assert.Throws<InvalidDataException>(() => TokenizerFactory.FromModelFolder(dir.Path));
        Assert.Contains(path, e.Message);
    }

    [SharedFact(Gpt2 + "/tokenizer.json")]
    public void TokenizerJsonIsPreferredOverVocabAndMerges()
    {
        using var dir = new TempFolder().CopyFrom(SharedData.Path(Gpt2), "tokenizer.json", "vocab.json", "merges.txt");
        Assert.Equal("tokenizer.json/bpe", TokenizerFactory.FromModelFolder(dir.Path).Kind);
    }

    [SharedFact(Gpt2 + "/vocab.json")]
    public void SpecialTokensComeFromConfigStringsObjectsAndModelConfigIds()
    {
        using var dir = new TempFolder().CopyFrom(SharedData.Path(Gpt2), "vocab.json", "merges.txt");
        // bos as an AddedToken object, eos as a string, pad only as an id in config.json; add_bos_token on.
        dir.Write("tokenizer_config.json", """
            {"add_bos_token": true, "bos_token": {"content": "<|endoftext|>", "lstrip": false}, "eos_token": "<|endoftext|>"}
            """);
        dir.Write("special_tokens_map.json", """{"unk_token": "<|endoftext|>"}""");
        dir.Write("config.json", """{"pad_token_id": 220, "eos_token_id": [50256, 198]}""");
        var tok = TokenizerFactory.FromModelFolder(dir.Path);

        Assert.Equal(50256, tok.BosId);
        Assert.Equal(50256, tok.EosId);
        Assert.Equal(50256, tok.UnkId);
        Assert.Equal(220, tok.PadId);
        Assert.Equal([50256, 15496, 995], tok.EncodePrompt("Hello world"));
        Assert.Equal([6342], tok.TargetIds("Paris"));   // never a BOS in target ids
    }
}
