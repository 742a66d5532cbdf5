using System.Diagnostics;
using System.Text.Json.Nodes;
using KnPipeline.Stages.Models;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Tokenizers;
using KnPipeline.Stages.Training;
using Xunit;

namespace KnPipeline.Tests.Training;

/// <summary>
/// Trains a reduced configuration (en + ja, P36 + P19, one layer of width 64, two epochs) and checks that training is
/// deterministic and that the saved folder is a Hugging Face GPT-2 folder the pipeline's loaders read.
/// </summary>
[Collection("Torch")]
public sealed class EmbeddedTrainingTests
{
    [Fact]
    public void TwoTrainingsOfTheSameInputsGiveBitIdenticalWeights()
    {
        using var tmp = new TrainingTempDir();
        var clock = Stopwatch.StartNew();
        var first = EmbeddedModel.TrainTo(tmp.Sub("a"), TrainingFixtures.SmallOptions(), TrainingFixtures.BenchmarkDir,
                                          TrainingFixtures.SmallScope);
        var second = EmbeddedModel.TrainTo(tmp.Sub("b"), TrainingFixtures.SmallOptions(), TrainingFixtures.BenchmarkDir,
                                           TrainingFixtures.SmallScope);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"two reduced trainings took {clock.Elapsed}");

        using var a = ModelLoader.Load(tmp.Sub("a"));
        using var b = ModelLoader.Load(tmp.Sub("b"));
        Assert.Equal(WeightEdit.Hash(a), WeightEdit.Hash(b));
        Assert.Equal(File.ReadAllBytes(tmp.Sub("a", "model.safetensors")),
            File.ReadAllBytes(tmp.Sub("b", "model.safetensors")));
        Assert.Equal(File.ReadAllBytes(tmp.Sub("a", "merges.txt")), File.ReadAllBytes(tmp.Sub("b", "merges.txt")));
        Assert.Equal(first.FinalLoss, second.FinalLoss);
        Assert.Equal(first.Steps, second.Steps);
    }

    [Fact]
    public void ADifferentSeedGivesDifferentWeights()
    {
        using var tmp = new TrainingTempDir();
        var options = TrainingFixtures.SmallOptions();
        var scope = TrainingFixtures.SmallScope with { MaxSteps = 3 };
        EmbeddedModel.TrainTo(tmp.Sub("a"), options, TrainingFixtures.BenchmarkDir, scope);
        options.Seed = 8;
        EmbeddedModel.TrainTo(tmp.Sub("b"), options, TrainingFixtures.BenchmarkDir, scope);
        using var a = ModelLoader.Load(tmp.Sub("a"));
        using var b = ModelLoader.Load(tmp.Sub("b"));
        Assert.NotEqual(WeightEdit.Hash(a), WeightEdit.Hash(b));
    }

    [Fact]
    public void SavedFolderLoadsWithTheCheckpointAndTokenizerLoaders()
    {
        using var tmp = new TrainingTempDir();
        var report = EmbeddedModel.TrainTo(tmp.Path, TrainingFixtures.SmallOptions(), TrainingFixtures.BenchmarkDir,
                                           TrainingFixtures.SmallScope);
        foreach (string f in (string[])["config.json", "model.safetensors", "vocab.json", "merges.txt",
                                        "tokenizer_config.json", "special_tokens_map.json", "training.json"])
            Assert.True(File.Exists(tmp.Sub(f)), f);

        var config = JsonNode.Parse(File.ReadAllText(tmp.Sub("config.json")))!.AsObject();
        Assert.Equal("gpt2", (string?)config["model_type"]);
        Assert.Equal(64, (int?)config["n_embd"]);
        Assert.Equal(1, (int?)config["n_layer"]);
        Assert.True((bool?)config["tie_word_embeddings"]);

        using (var st = new SafetensorsFile(tmp.Sub("model.safetensors")))
        {
            Assert.DoesNotContain("lm_head.weight", st.Entries.Keys); // the head is tied to transformer.wte.weight
            Assert.Contains("transformer.wte.weight", st.Entries.Keys);
            Assert.Contains("transformer.h.0.mlp.c_fc.weight", st.Entries.Keys);
        }

        using var model = ModelLoader.Load(tmp.Path);
        var tok = TokenizerFactory.FromModelFolder(tmp.Path);
        Assert.Equal("gpt2", model.Family);
        Assert.Equal(tok.VocabSize, model.VocabSize);
        Assert.Equal(tok.EosId, model.Config.EosTokenId);
        Assert.Equal(128, model.FfnWidth);
        Assert.Equal(model.InputEmbedding.data<float>().ToArray(), model.HeadWeight.data<float>().ToArray());

        var stored = TrainingReport.Load(tmp.Path);
        Assert.Equal(report.Steps, stored.Steps);
        Assert.Equal(["en", "ja"], stored.Accuracy.Keys.ToArray());
        // en: 30 facts in each of P36 and P19; those whose English cell is trained are asked with their relation's 3
        // held-out and (at most) 8 training templates, those held out by language with all 11 (crosslingual).
        // Object-first training templates are not asked of a causal LM, and "heldout" leaves out the guessable facts
        // that "heldout_all" keeps.
        var en = EmbeddedBenchmark.Load(TrainingFixtures.BenchmarkDir, ["en"], ["P36", "P19"]).Facts["en"];
        var trained = en.Where(f => !f.HeldoutLanguage).ToList();
        Assert.Equal(trained.Count * 3, stored.Accuracy["en"].HeldoutAllQueries);
        Assert.Equal(trained.Count(f => !f.Guessable) * 3, stored.Accuracy["en"].HeldoutQueries);
        Assert.True(stored.Accuracy["en"].TrainQueries is > 0 and <= 60 * 8);
        var cells = en.Where(f => f.HeldoutLanguage).ToList();
        Assert.Equal(6, cells.Count);
        Assert.True(stored.Accuracy["en"].Crosslingual["crosslingual_all_queries"] is > 0 and <= 6 * 11);
        Assert.True(File.Exists(tmp.Sub("cells.jsonl")));
        Assert.Equal(60, File.ReadLines(tmp.Sub("cells.jsonl")).Count(l => l.Contains("\"language\":\"en\"")));
        Assert.InRange(stored.Accuracy["en"].Baseline, 0, 0.2);
        Assert.Equal(report.CacheKey, stored.CacheKey);
        Assert.Equal(EmbeddedModel.DataHash(TrainingFixtures.BenchmarkDir), stored.DataHash);
        Assert.True(stored.Seconds > 0);
    }

    [Fact]
    public void HeldOutTemplatesNeverBecomeTrainingRows()
    {
        var benchmark = EmbeddedBenchmark.Load(TrainingFixtures.BenchmarkDir, ["en"], ["P50"]);
        var corpus = TrainingCorpus.Build(benchmark, 0.2, 1);
        var heldout = benchmark.Templates["en"].Where(t => !t.IsTrain).Select(t => t.TemplateId).ToHashSet();
        Assert.Equal(3, heldout.Count);
        Assert.All(corpus.TrainStatements, s => Assert.DoesNotContain(s.TemplateId, heldout));
        // The facts of English cells held out by language are stated in no template.
        int cells = benchmark.Facts["en"].Count(f => !f.HeldoutLanguage);
        Assert.Equal(25, cells);
        Assert.Equal(cells * 8, corpus.TrainStatements.Count());
        Assert.Equal(50, corpus.Filler.Count); // 20% of all training sentences: 200 · 0.2 / 0.8
    }
}
