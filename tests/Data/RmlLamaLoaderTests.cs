using KnPipeline.Stages.Data;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Data.Support;
using Xunit;

namespace KnPipeline.Tests.Data;

public sealed class RmlLamaLoaderTests
{
    [Fact]
    public void ReadsDeclarationsTemplatesAndFactsOfTheFixture()
    {
        using var b = RmlLamaFixture.Create();
        var q = new QuarantineLog();
        var source = new RmlLamaLoader().Open(b.Root, q);
        Assert.Equal(new LanguageInfo("ja", "Japanese", "Japonic", "Jpan", false), source.FindLanguage("ja"));
        Assert.True(source.FindLanguage("en")!.Spaces);
        Assert.Equal(["P19", "P36"], source.Relations!.Order());
        Assert.Equal(6, source.Templates.Count);
        Assert.Equal(["P19_en_1", "P19_en_2", "P19_en_3"], source.TemplatesFor("en", "P19").Select(t => t.TemplateId));
        Assert.Equal(["heldout"], source.TemplatesFor("ja", "P19").Skip(1).Select(t => t.Split));
        var facts = source.ReadFacts(q).ToList();
        Assert.Equal(["f1", "f2", "f3", "f4", "f5", "f6", "f1", "f2"], facts.Select(f => f.FactId));
        Assert.Equal(["Firenze"], facts[0].Aliases);
        Assert.Equal("\u200B", facts[5].Object);
        var bad = Assert.Single(q.Records);
        Assert.Equal(("facts/ja.jsonl", 3, "no_templates", "f4"), (bad.Source, bad.Line, bad.Reason, bad.RecordId));
    }

    [Fact]
    public void WithoutRelationsFileAnyRelationIsAcceptedAndMissingSpacesFallsBackToTheCatalog()
    {
        using var b = new TempBenchmark()
            .Write("languages.jsonl", """{"language": "zh-hans"}""", """{"language": "de"}""")
            .Write("templates/zh-hans.jsonl", """{"relation": "P7", "template_id": "a", "text": "[X]出生于[Y]。", "split": "train"}""")
            .Write("facts/zh-hans.jsonl", """{"fact_id": "1", "relation": "P7", "subject": "李白", "object": "碎叶"}""");
        var source = new RmlLamaLoader().Open(b.Root, new QuarantineLog());
        Assert.Null(source.Relations);
        Assert.False(source.FindLanguage("zh-hans")!.Spaces);
        Assert.True(source.FindLanguage("de")!.Spaces);
        Assert.Single(source.ReadFacts(new QuarantineLog()));
    }

    [Fact]
    public void AFolderWithoutLanguagesFileIsNotRmlLama()
    {
        using var b = new TempBenchmark().Write("facts/en.jsonl", "{}");
        Assert.False(new RmlLamaLoader().Matches(b.Root));
        var e = Assert.Throws<BenchmarkLayoutException>(() => new RmlLamaLoader().Open(b.Root, new QuarantineLog()));
        Assert.Contains("languages.jsonl", e.Message);
    }
}
