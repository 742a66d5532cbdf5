using KnPipeline.Stages.Models.Tokenizers;
using KnPipeline.Stages.Training;
using Microsoft.ML.Tokenizers;
using Xunit;

namespace KnPipeline.Tests.Training;

/// <summary>
/// The BPE trainer and its saved files: a tokenizer trained on the whole embedded benchmark round-trips every sentence
/// (training and held-out, all eight languages), and the saved vocab.json + merges.txt give exactly our encoder's ids
/// through Microsoft.ML.Tokenizers' CodeGenTokenizer and through the pipeline's TokenizerFactory.
/// </summary>
public sealed class ByteLevelBpeTests : IClassFixture<ByteLevelBpeTests.Trained>
{
    /// <summary>One tokenizer trained on the full benchmark (≈1 s), shared by the tests of this class.</summary>
    public sealed class Trained : IDisposable
    {
        public Trained()
        {
            var benchmark = EmbeddedBenchmark.Load(TrainingFixtures.BenchmarkDir);
            Corpus = TrainingCorpus.Build(benchmark, 0.2, 1234);
            Bpe = new BpeTrainer { MaxMerges = EmbeddedTrainingScope.Full.MaxMerges }
                .Train(Corpus.TokenizerWordCounts());
            Bpe.Save(Dir.Path, 64);
        }

        public TrainingCorpus Corpus { get; }
        public ByteLevelBpe Bpe { get; }
        public TrainingTempDir Dir { get; } = new();

        public void Dispose() => Dir.Dispose();
    }

    private readonly Trained _t;

    public ByteLevelBpeTests(Trained trained) => _t = trained;

    [Fact]
    public void EveryBenchmarkSentenceRoundTrips()
    {
        Assert.Equal(30_720, _t.Corpus.Statements.Count);
        foreach (var s in _t.Corpus.Statements)
        {
            Assert.Equal(s.Text, _t.Bpe.Decode(_t.Bpe.Encode(s.Text)));
            int[] parts = [.. _t.Bpe.Encode(s.Prompt), .. _t.Bpe.Encode(s.ObjectForm), .. _t.Bpe.Encode(s.Rest)];
            Assert.Equal(s.Prompt + s.ObjectForm + s.Rest, _t.Bpe.Decode(parts));
        }
        foreach (var f in _t.Corpus.Filler)
            Assert.Equal(f.Text, _t.Bpe.Decode(_t.Bpe.Encode(f.Text)));
    }

    [Fact]
    public void CodeGenTokenizerLoadsTheSavedFilesWithIdenticalIds()
    {
        using var vocab = File.OpenRead(Path.Combine(_t.Dir.Path, "vocab.json"));
        using var merges = File.OpenRead(Path.Combine(_t.Dir.Path, "merges.txt"));
        var codeGen = CodeGenTokenizer.Create(vocab, merges, addPrefixSpace: false, addBeginOfSentence: false,
                                              addEndOfSentence: false);
        foreach (var s in _t.Corpus.Statements)
        {
            Assert.Equal(_t.Bpe.Encode(s.Text), codeGen.EncodeToIds(s.Text).ToArray());
            Assert.Equal(_t.Bpe.Encode(s.ObjectForm), codeGen.EncodeToIds(s.ObjectForm).ToArray());
        }
        // Special tokens are not compared: CodeGenTokenizer hard-codes CodeGen's own ids for <|endoftext|> (50256),
        // which is one reason the pipeline loads vocab.json + merges.txt through TokenizerFactory instead.
    }

    [Fact]
    public void TokenizerFactoryGivesOurPromptsAndTargets()
    {
        var tok = TokenizerFactory.FromModelFolder(_t.Dir.Path);
        Assert.Equal("byte-bpe", tok.Kind);
        Assert.Equal(_t.Bpe.VocabSize, tok.VocabSize);
        Assert.Equal(_t.Bpe.EndOfTextId, tok.EosId);
        Assert.Equal(_t.Bpe.EndOfTextId, tok.BosId);
        foreach (var s in _t.Corpus.Statements)
        {
            // add_bos_token is false: a prompt is its plain encoding, as the training rows start.
            Assert.Equal(_t.Bpe.Encode(s.Prompt), tok.EncodePrompt(s.Prompt));
            Assert.Equal(_t.Bpe.Encode(s.ObjectForm), tok.TargetIds(s.Object, s.SpaceBefore));
            Assert.Equal(_t.Bpe.Encode(s.Text), tok.Encode(s.Text));
        }
    }

    [Fact]
    public void SavedFilesHaveTheGpt2Layout()
    {
        var lines = File.ReadAllLines(Path.Combine(_t.Dir.Path, "merges.txt"));
        Assert.Equal("#version: 0.2", lines[0]);
        Assert.Equal(_t.Bpe.Merges.Count, lines.Length - 1);
        string config = File.ReadAllText(Path.Combine(_t.Dir.Path, "tokenizer_config.json"));
        Assert.Contains("\"add_bos_token\": false", config);
        Assert.Contains("\"eos_token\": \"<|endoftext|>\"", config);
        Assert.True(File.Exists(Path.Combine(_t.Dir.Path, "special_tokens_map.json")));
        // GPT-2's first ids are the printable bytes in order: "!" is 0, a space ("Ġ") is 220.
        Assert.Equal("!", _t.Bpe.Token(0));
        Assert.Equal("Ġ", _t.Bpe.Token(220));
        Assert.Equal(_t.Bpe.VocabSize - 1, _t.Bpe.EndOfTextId);
    }

    [Fact]
    public void CommonBenchmarkNamesAreSingleTokensInEveryScript()
    {
        // The capital of France as the object continuation, in all eight languages.
        foreach (string obj in (string[])[" Paris", " Париж", "巴黎", "パリ", " باريس", " Pariisi"])
            Assert.Single(_t.Bpe.Encode(obj));
    }

    [Fact]
    public void HeldOutTemplateTextNeverReachesTheTokenizerCorpus()
    {
        var words = _t.Corpus.TokenizerWordCounts();
        // "owe" only occurs in a held-out English P50 template ("Readers owe the book [X] to the writer [Y].").
        Assert.DoesNotContain(" owe", words.Keys);
        Assert.Contains(" capital", words.Keys);
    }

    [Fact]
    public void TrainingIsDeterministicAndBreaksTiesByOrdinalOrder()
    {
        // "ab" and "cd" occur equally often; "ab" < "cd" ordinally, so it is merged first, whatever the input order.
        var counts = new Dictionary<string, long> { ["cd"] = 3, ["ab"] = 3, ["abcd"] = 1 };
        var bpe = new BpeTrainer { MaxMerges = 10 }.Train(counts);
        Assert.Equal(("a", "b"), bpe.Merges[0]);
        Assert.Equal(("c", "d"), bpe.Merges[1]);
        Assert.Equal(2, bpe.Merges.Count); // "ab"+"cd" occurs once, below the minimum frequency of 2
        var reversed = new BpeTrainer { MaxMerges = 10 }.Train(counts.Reverse().ToDictionary());
        Assert.Equal(bpe.Merges, reversed.Merges);
        var again = new BpeTrainer { MaxMerges = EmbeddedTrainingScope.Full.MaxMerges }
            .Train(_t.Corpus.TokenizerWordCounts());
        Assert.Equal(_t.Bpe.Merges, again.Merges);
    }

    [Fact]
    public void SlotCutsKeepALeadingSpaceWithItsWord()
    {
        // Subject "France" at offset 15 in "The capital of France is": the cut before "F" would only detach the
        // space, so " France" stays one word; the Japanese subject is cut off the template text it is glued to.
        Assert.Equal(["The", " capital", " of", " France", " is"],
                     ByteLevel.PreTokenize("The capital of France is", [15, 21]).ToArray());
        Assert.Equal(["フランス", "の首都は"], ByteLevel.PreTokenize("フランスの首都は", [0, 4]).ToArray());
    }
}
