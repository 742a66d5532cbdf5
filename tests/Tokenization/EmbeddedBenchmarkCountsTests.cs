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
        Assert.Equal(512, source.Templates.Count);
        var causal = new QueryExpander(new QueryExpansionOptions { ModelKind = ModelKind.Causal }).Expand(source, q).ToList();
        var masked = new QueryExpander(new QueryExpansionOptions { ModelKind = ModelKind.Masked }).Expand(source, q).ToList();
        Assert.Equal(0, q.Total);
        Assert.Equal(10_240, masked.Count);       // 8 languages × 160 facts × 8 templates
        Assert.Equal(9_220, causal.Count);        // minus the 51 object-first templates × 20 facts
        var perLanguage = causal.GroupBy(x => x.Language).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<string, int>
        {
            ["ar"] = 1120, ["de"] = 1140, ["en"] = 1160, ["fi"] = 1180, ["fr"] = 1200, ["ja"] = 1120, ["ru"] = 1180, ["zh"] = 1120,
        }, perLanguage);
        Assert.Equal(2_560, causal.Count(x => x.Split == "heldout"));
        var train = new QueryExpander(new QueryExpansionOptions { ModelKind = ModelKind.Causal, Split = TemplateSplitFilter.Train });
        Assert.Equal(6_660, train.Expand(source, q).Count());
        Assert.Equal(1_020, train.Skipped[QueryExpander.SubjectAfterObject]);
    }

    [SharedFact("reference/gpt2-tokenizer/vocab.json")]
    public void EveryCausalQueryTokenizesWithByteLevelBpe()
    {
        var q = new QuarantineLog();
        var source = Open(q);
        string dir = Directory.CreateTempSubdirectory("kn-gpt2tok").FullName;
        foreach (var f in new[] { "vocab.json", "merges.txt" })
            File.Copy(SharedData.Path("reference/gpt2-tokenizer", f), Path.Combine(dir, f));
        var tokenizer = new QueryTokenizer(TokenizerFactory.FromModelFolder(dir), "gpt2", ModelKind.Causal, QueryTokenizer.SpacesOf(source));
        var tokenized = tokenizer.TokenizeAll(new QueryExpander(new QueryExpansionOptions()).Expand(source, q), q).ToList();
        Directory.Delete(dir, true);
        Assert.Equal(9_220, tokenized.Count);
        Assert.Equal(0, q.Total);
        Assert.All(tokenized, t => Assert.Equal([t.InputIds.Length - 1], t.PredictionPositions));
        // Byte-level BPE has no unknown token; CJK objects split into several byte pieces.
        var stats = tokenizer.Diagnostics.Snapshot().ToDictionary(s => s.Language);
        Assert.All(stats.Values, s => Assert.Equal(0, s.UnknownTokenRate));
        Assert.True(stats["zh"].TokensPerObject > stats["en"].TokensPerObject);
    }
}
