using KnPipeline.Stages.Data;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Data.Support;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Data;

public sealed class ParaRelLoaderTests
{
    /// <summary>The counts of ../shared/data/pararel/SOURCE.md: 39 relations, 329 templates (214 [Y]-final),
    /// 27,610 facts for those relations; P31 and P527 have facts (1,801) but no templates.</summary>
    [SharedFact("data/pararel/graphs_json", "data/pararel/trex_lms_vocab")]
    public void ReadsTheSharedCopyWithTheCountsOfItsSourceCard()
    {
        var q = new QuarantineLog();
        var source = new ParaRelLoader().Open(SharedData.Path("data", "pararel"), q);
        var facts = source.ReadFacts(q).ToList();

        Assert.Equal(["en"], source.Languages.Select(l => l.Code));
        Assert.Equal(39, source.Templates.Select(t => t.Relation).Distinct().Count());
        Assert.Equal(329, source.Templates.Count);
        Assert.Equal(214, source.Templates.Count(t => t.Text.TrimEnd(' ', '.').EndsWith("[Y]", StringComparison.Ordinal)));
        Assert.Equal(262, source.Templates.Count(t => t.SubjectFirst));
        Assert.Single(source.TemplatesFor("en", "P1001"));
        Assert.Equal(20, source.TemplatesFor("en", "P138").Count);
        Assert.Equal(27_610, facts.Count);
        Assert.Equal(27_610, facts.Select(f => f.FactId).Distinct().Count());
        Assert.Equal(39, facts.Select(f => f.Relation).Distinct().Count());
        Assert.Equal(new Dictionary<string, long> { ["no_templates"] = 1_801 }, q.CountsByReason());
        Assert.All(q.Records, r => Assert.Matches("^trex_lms_vocab/P(31|527)\\.jsonl$", r.Source));
        Assert.Equal(new FactRecord("6a9d91c1-eb9b-4142-8371-3c063ec40700", "P19", "en", "Allan Peiper", "Alexandra", []),
            facts.First(f => f.Relation == "P19") with { Aliases = [] });
    }

    [Fact]
    public void ReadsTheRepositoryLayoutWithLineBasedTemplateIds()
    {
        using var b = new TempBenchmark()
            .Write("data/pattern_data/graphs_json/P19.jsonl",
                """{"pattern": "[X] was born in [Y].", "lemma": "born", "tense": "past"}""",
                """{"pattern": "[X] is originally from [Y].", "lemma": "from"}""")
            .Write("data/trex_lms_vocab/P19.jsonl",
                """{"sub_label": "Allan Peiper", "obj_label": "Alexandra", "uuid": "u1"}""",
                """{"sub_label": "Paul Mounsey", "obj_label": "Scotland"}""");
        var loader = BenchmarkLoaders.Detect(b.Root);
        Assert.Equal("pararel", loader.Format);
        var q = new QuarantineLog();
        var source = loader.Open(b.Root, q);
        Assert.Equal(["P19_1", "P19_2"], source.Templates.Select(t => t.TemplateId));
        Assert.All(source.Templates, t => Assert.Equal(TemplateSplits.Train, t.Split));
        Assert.Equal(["u1"], source.ReadFacts(q).Select(f => f.FactId));
        var missing = Assert.Single(q.Records);
        Assert.Equal(("data/trex_lms_vocab/P19.jsonl", 2, "missing_field"), (missing.Source, missing.Line, missing.Reason));
        Assert.Contains("'uuid'", missing.Detail);
    }
}
