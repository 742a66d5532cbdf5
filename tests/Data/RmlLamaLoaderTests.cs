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
            .Write("templates/zh-hans.jsonl",
                """{"relation": "P7", "template_id": "a", "text": "[X]出生于[Y]。", "split": "train"}""")
            .Write("facts/zh-hans.jsonl",
                """{"fact_id": "1", "relation": "P7", "subject": "李白", "object": "碎叶"}""");
        var source = new RmlLamaLoader().Open(b.Root, new QuarantineLog());
        Assert.Null(source.Relations);
        Assert.False(source.FindLanguage("zh-hans")!.Spaces);
        Assert.True(source.FindLanguage("de")!.Spaces);
        Assert.Single(source.ReadFacts(new QuarantineLog()));
    }

    [Fact]
    public void AFactsSplitIsReadTrainWhenAbsentAndAnyOtherValueIsQuarantinedWithFileLineAndValue()
    {
        using var b = new TempBenchmark()
            .Write("languages.jsonl", """{"language": "en"}""")
            .Write("templates/en.jsonl",
                """{"relation": "P36", "template_id": "t1", "text": "The capital of [X] is [Y] .", "split": "train"}""",
                """{"relation": "P36", "template_id": "t2", "text": "[X]'s capital is [Y] .", "split": "heldout"}""",
                """{"relation": "P36", "template_id": "t3", "text": "[X] rules from [Y] .", """ +
                """ "split": "heldout-language"}""")
            .Write("facts/en.jsonl",
                """{"fact_id": "f1", "relation": "P36", "subject": "France", "object": "Paris"}""",
                """{"fact_id": "f2", "relation": "P36", "subject": "Japan", "object": "Tokyo", "split": "train"}""",
                """{"fact_id": "f3", "relation": "P36", "subject": "Peru", "object": "Lima", """ +
                """ "split": "heldout-language"}""",
                """{"fact_id": "f4", "relation": "P36", "subject": "Fiji", "object": "Suva", "split": "heldout"}""",
                """{"fact_id": "f5", "relation": "P36", "subject": "Mali", "object": "Bamako", "split": "Train"}""",
                """{"fact_id": "f6", "relation": "P36", "subject": "Iran", "object": "Tehran", "split": 2}""",
                """{"fact_id": "f7", "relation": "P36", "subject": "Cuba", "object": "Havana", "split": null}""");
        var q = new QuarantineLog();
        var source = new RmlLamaLoader().Open(b.Root, q);
        // A template may not be held out by language: that status belongs to a (fact, language) cell.
        var t3 = Assert.Single(q.Records);
        Assert.Equal(("templates/en.jsonl", 3, "bad_split"), (t3.Source, t3.Line, t3.Reason));
        Assert.Equal("split 'heldout-language' is neither 'train' nor 'heldout' (a template's split; " +
                     "'heldout-language' belongs to facts)", t3.Detail);

        q = new QuarantineLog();
        var facts = source.ReadFacts(q).ToList();
        Assert.Equal([("f1", "train"), ("f2", "train"), ("f3", "heldout-language"), ("f7", "train")],
            facts.Select(f => (f.FactId, f.Split)));
        Assert.Equal(
        [
            ("facts/en.jsonl", 4, "f4", "bad_split", "split 'heldout' is neither 'train' nor 'heldout-language' " +
                                                     "(a fact's split)"),
            ("facts/en.jsonl", 5, "f5", "bad_split", "split 'Train' is neither 'train' nor 'heldout-language' " +
                                                     "(a fact's split)"),
            ("facts/en.jsonl", 6, "f6", "bad_field_type", "field 'split' is a number, not a string"),
        ], q.Records.Select(r => (r.Source, r.Line, r.RecordId, r.Reason, r.Detail)));
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
