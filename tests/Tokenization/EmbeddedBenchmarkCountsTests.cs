using KnPipeline.Stages.Data;
using KnPipeline.Stages.Models.Tokenizers;
using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Records;
using KnPipeline.Stages.Tokenization;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Tokenization;

/// <summary>Exact expansion and tokenization counts on the embedded benchmark (benchmarks-data/embedded).</summary>
public class EmbeddedBenchmarkCountsTests
{
    private static BenchmarkSource Open(IQuarantine q) =>
        BenchmarkLoaders.ByFormat("rml-lama").Open(Path.Combine(SharedData.RepoRoot, "benchmarks-data", "embedded"), q);

    [Fact]
    public void ExpansionCountsAreExactPerLanguageAndModelKind()
    {
        var q = new QuarantineLog();
        var source = Open(q);
        Assert.Equal(8, source.Languages.Count);
        Assert.Equal(1_024, source.Templates.Count);   // 8 languages × (8 relations × 11 + 4 × 10)
        var causal = new QueryExpander(new QueryExpansionOptions { ModelKind = ModelKind.Causal })
            .Expand(source, q).ToList();
        var masked = new QueryExpander(new QueryExpansionOptions { ModelKind = ModelKind.Masked })
            .Expand(source, q).ToList();
        Assert.Equal(0, q.Total);
        Assert.Equal(30_720, masked.Count);       // 8 languages × 30 facts × 128 templates
        Assert.Equal(29_190, causal.Count);       // minus the 51 object-first templates × 30 facts
        var perLanguage = causal.GroupBy(x => x.Language).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<string, int>
        {
            ["ar"] = 3600, ["de"] = 3630, ["en"] = 3660, ["fi"] = 3690,
            ["fr"] = 3720, ["ja"] = 3600, ["ru"] = 3690, ["zh"] = 3600,
        }, perLanguage);
        // A query's split is its cell's when the cell is held out by language (702 cells, the data card's rule), so
        // the held-out-template queries are those of the 2,178 trained cells only: 2,178 × 3 (was 8,640 before #13
        // gave the cells a split). The 7,123 are every subject-first template of the 702 cells.
        Assert.Equal(6_534, causal.Count(x => x.Split == "heldout"));
        Assert.Equal(7_123, causal.Count(x => x.Split == "heldout-language"));
        Assert.Equal(15_533, causal.Count(x => x.Split == "train"));
        var train = new QueryExpander(
            new QueryExpansionOptions { ModelKind = ModelKind.Causal, Split = TemplateSplitFilter.Train });
        // Train keeps trained cells only (20,550 before #13); the object-first training templates of the 702
        // held-out cells now count as split_filtered, so subject_after_object drops from 1,530 (51 × 30) to 1,157.
        Assert.Equal(15_533, train.Expand(source, q).Count());
        Assert.Equal(1_157, train.Skipped[QueryExpander.SubjectAfterObject]);
    }

    [SharedFact("reference/gpt2-tokenizer/vocab.json")]
    public void EveryCausalQueryTokenizesWithByteLevelBpe()
    {
        var q = new QuarantineLog();
        var source = Open(q);
        string dir = Directory.CreateTempSubdirectory("kn-gpt2tok").FullName;
        foreach (var f in new[] { "vocab.json", "merges.txt" })
            File.Copy(SharedData.Path("reference/gpt2-tokenizer", f), Path.Combine(dir, f));
        var tokenizer = new QueryTokenizer(TokenizerFactory.FromModelFolder(dir), "gpt2", ModelKind.Causal,
            QueryTokenizer.SpacesOf(source));
        var tokenized = tokenizer.TokenizeAll(new QueryExpander(new QueryExpansionOptions()).Expand(source, q), q)
            .ToList();
        Directory.Delete(dir, true);
        Assert.Equal(29_190, tokenized.Count);
        Assert.Equal(0, q.Total);
        Assert.All(tokenized, t => Assert.Equal([t.InputIds.Length - 1], t.PredictionPositions));
        // Byte-level BPE has no unknown token; CJK objects split into several byte pieces.
        var stats = tokenizer.Diagnostics.Snapshot().ToDictionary(s => s.Language);
        Assert.All(stats.Values, s => Assert.Equal(0, s.UnknownTokenRate));
        Assert.True(stats["zh"].TokensPerObject > stats["en"].TokensPerObject);
    }
}
