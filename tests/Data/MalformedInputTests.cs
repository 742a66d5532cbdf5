using KnPipeline.Stages.Data;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Data.Support;
using Xunit;

namespace KnPipeline.Tests.Data;

/// <summary>A benchmark with sixteen kinds of damage: each bad record is quarantined with file, line and reason,
/// and every good record comes through.</summary>
public sealed class MalformedInputTests : IDisposable
{
    private readonly TempBenchmark _b = new TempBenchmark()
        .Write("languages.jsonl",
            """{"language": "en", "name": "English", "spaces": true}""",
            """{"language": "ja", "name": "Japanese", "spaces": false}""",
            """{"language": "en", "name": "English again"}""",
            """{"language": "fr", "name": """)
        .Write("relations.jsonl",
            """{"relation": "P19"}""", """{"relation": "P36"}""", """{"relation": "P101"}""")
        .Write("templates/en.jsonl",
            """{"relation": "P19", "template_id": "t1", "text": "[X] was born in [Y] .", "split": "train"}""",
            """{"relation": "P36", "template_id": "t2", "text": "The capital of [X] is [Y] .", "split": "train"}""",
            """{"relation": "P19", "template_id": "t3", "text": "was born in [Y] .", "split": "train"}""",
            """{"relation": "P19", "template_id": "t4", "text": "[X] was born in .", "split": "train"}""",
            """{"relation": "P19", "template_id": "t5", "text": "[X] and [X] in [Y]", "split": "train"}""",
            """{"relation": "P19", "template_id": "t6", "text": "[X] comes from [Y] .", "split": "dev"}""",
            """{"relation": "P19", "template_id": "t1", "text": "[X] hails from [Y] .", "split": "train"}""",
            """{"relation": "P19", "template_id": "t8", "text": "[X] was born in [Y] .", "split": "train"}""",
            """{"relation": "P19", "template_id": "t9", "split": "train"}""",
            """{"relation": "P999", "template_id": "t10", "text": "[X] [Y]", "split": "train"}""",
            """{"relation": "P19", "template_id": "t11", "text": 5, "split": "train"}""",
            """[1, 2]""",
            """{"relation": "P19", "template_id": "t13", "text": "[X] lived in [Y] .", "split": "heldout" """,
            "",
            """{"relation": "P19", "template_id": "t14", "text": "[X] grew up in [Y] .", "split": "heldout"}""")
        .Write("templates/ja.jsonl",
            """{"relation": "P19", "template_id": "j1", "text": "[X]は[Y]で生まれた。", "split": "train"}""")
        .Write("templates/xx.jsonl",
            """{"relation": "P19", "template_id": "x1", "text": "[X] xx [Y]", "split": "train"}""")
        .Write("facts/en.jsonl",
            """{"fact_id": "f1", "relation": "P19", "subject": "Dante", "object": "Florence"}""",
            """{"fact_id": "f2", "relation": "P36", "subject": "France", "object": "Paris", "aliases": ["Paris, France"]}""",
            """{"fact_id": "f3", "relation": "P19", "subject": "Kant", "object": ""}""",
            """{"fact_id": "f4", "relation": "P19", "subject": "  ", "object": "Eisenach"}""",
            """{"fact_id": "f1", "relation": "P19", "subject": "Dante", "object": "Ravenna"}""",
            """{"fact_id": "f6", "relation": "P19", "subject": "Goethe"}""",
            """{"fact_id": "f7", "relation": "P19", "subject": "Bach", "object": "Eisenach", "aliases": "x"}""",
            """{"fact_id": "f8", "relation": "P19", subject: "Mann"}""",
            """{"fact_id": "f9", "relation": "P101", "subject": "Curie", "object": "physics"}""",
            """{"fact_id": "f10", "relation": "P555", "subject": "Euler", "object": "Basel"}""",
            """{"fact_id": "f11", "relation": "P19", "subject": "Kant", "object": "Königsberg"}""")
        .Write("facts/ja.jsonl",
            """{"fact_id": "f1", "relation": "P19", "subject": "ダンテ", "object": "フィレンツェ"}""",
            """{"fact_id": "f2", "relation": "P36", "subject": "フランス", "object": "パリ"}""")
        .Write("facts/zz.jsonl",
            """{"fact_id": "f1", "relation": "P19", "subject": "Dante", "object": "Florence"}""");

    public void Dispose() => _b.Dispose();

    [Fact]
    public void EveryKindOfDamageIsQuarantinedWithFileLineAndReason()
    {
        var q = new QuarantineLog();
        var source = new RmlLamaLoader().Open(_b.Root, q);
        var facts = source.ReadFacts(q).ToList();

        (string, int, string)[] expected =
        [
            ("languages.jsonl", 3, "bad_declaration"),
            ("languages.jsonl", 4, "malformed_json"),
            ("templates/en.jsonl", 3, "template_missing_x"),
            ("templates/en.jsonl", 4, "template_missing_y"),
            ("templates/en.jsonl", 5, "template_repeated_slot"),
            ("templates/en.jsonl", 6, "bad_split"),
            ("templates/en.jsonl", 7, "duplicate_template_id"),
            ("templates/en.jsonl", 8, "duplicate_template"),
            ("templates/en.jsonl", 9, "missing_field"),
            ("templates/en.jsonl", 10, "unknown_relation"),
            ("templates/en.jsonl", 11, "bad_field_type"),
            ("templates/en.jsonl", 12, "malformed_json"),
            ("templates/en.jsonl", 13, "malformed_json"),
            ("templates/xx.jsonl", 1, "unknown_language"),
            ("facts/en.jsonl", 3, "empty_object"),
            ("facts/en.jsonl", 4, "empty_subject"),
            ("facts/en.jsonl", 5, "duplicate_fact_id"),
            ("facts/en.jsonl", 6, "missing_field"),
            ("facts/en.jsonl", 7, "bad_field_type"),
            ("facts/en.jsonl", 8, "malformed_json"),
            ("facts/en.jsonl", 9, "no_templates"),
            ("facts/en.jsonl", 10, "unknown_relation"),
            ("facts/ja.jsonl", 2, "no_templates"),
            ("facts/zz.jsonl", 1, "unknown_language"),
        ];
        Assert.Equal(expected, q.Records.Select(r => (r.Source, r.Line, r.Reason)));
        Assert.Equal(16, q.CountsByReason().Count);
        Assert.All(q.Records, r => Assert.Equal("data", r.Stage));
        Assert.All(q.Records, r => Assert.False(string.IsNullOrWhiteSpace(r.Detail)));
        Assert.Equal("f6", q.Records.Single(r => r is { Source: "facts/en.jsonl", Line: 6 }).RecordId);

        Assert.Equal(["en", "ja"], source.Languages.Select(l => l.Code));
        Assert.Equal([("en", "t1"), ("en", "t2"), ("en", "t14"), ("ja", "j1")],
            source.Templates.Select(t => (t.Language, t.TemplateId)));
        Assert.Equal([("en", "f1", "Florence"), ("en", "f2", "Paris"), ("en", "f11", "Königsberg"), ("ja", "f1", "フィレンツェ")],
            facts.Select(f => (f.Language, f.FactId, f.Object)));
        Assert.Equal(["Paris, France"], facts[1].Aliases);
    }

    [Fact]
    public void ReadingTheFactsTwiceQuarantinesTheSameRecordsAgainAndYieldsTheSameFacts()
    {
        var q = new QuarantineLog();
        var source = new RmlLamaLoader().Open(_b.Root, q);
        long afterOpen = q.Total;
        var first = source.ReadFacts(q).Select(f => f.FactId + f.Language).ToList();
        long perPass = q.Total - afterOpen;
        var second = source.ReadFacts(q).Select(f => f.FactId + f.Language).ToList();
        Assert.Equal(first, second);
        Assert.Equal(10, perPass);
        Assert.Equal(afterOpen + 2 * perPass, q.Total);
    }
}
