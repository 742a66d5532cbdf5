using KnPipeline.Stages.Data;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Data.Support;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Data;

public sealed class MParaRelLoaderTests
{
    /// <summary>
    /// ../shared/data/mpararel/SOURCE.md: patterns for 43 languages (among the tuple languages from 260 for ar to
    /// 525 for el; en 328), tuples for 17
    /// languages with the per-language totals of its table; [Y]-final templates ja 17/331, ko 7/311, tr 20/327,
    /// bn 2/330; 38 relations; facts present in en, fr, fi, hu, ja and ko together: 10,152. Of the 305,911 tuples,
    /// 299,401 have a template in their language and 6,510 do not (no_templates).
    /// </summary>
    [SharedFact("data/mpararel/patterns", "data/mpararel/tuples")]
    public void ReadsEveryLanguageOfTheSharedCopyWithTheCountsOfItsSourceCard()
    {
        var q = new QuarantineLog(capacity: 1_000_000);
        var source = new MParaRelLoader().Open(SharedData.Path("data", "mpararel"), q);
        Assert.Equal(0, q.Total);
        Assert.Equal(43, source.Languages.Count);
        var perLanguage = source.Templates.GroupBy(t => t.Language).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(43, perLanguage.Count);
        Assert.Equal(38, source.Templates.Select(t => t.Relation).Distinct().Count());
        Assert.Equal(328, perLanguage["en"]);
        Assert.Equal((260, 525), (perLanguage["ar"], perLanguage["el"]));
        foreach (var (lang, yFinal, total) in new[] { ("ja", 17, 331), ("ko", 7, 311), ("tr", 20, 327), ("bn", 2, 330) })
        {
            var t = source.Templates.Where(x => x.Language == lang).ToList();
            Assert.Equal((lang, yFinal, total),
                (lang, t.Count(x => x.Text.TrimEnd(' ', '.', '。').EndsWith("[Y]", StringComparison.Ordinal)), t.Count));
        }

        var facts = source.ReadFacts(q).ToList();
        var tupleLanguages = facts.Select(f => f.Language).ToHashSet();
        Assert.Equal(17, tupleLanguages.Count);
        Assert.Equal(260, tupleLanguages.Min(l => perLanguage[l]));
        Assert.Equal(525, tupleLanguages.Max(l => perLanguage[l]));
        // Every tuple is either a fact or, when its relation has no pattern in that language, no_templates.
        Assert.Equal(["no_templates"], q.CountsByReason().Keys);
        var rows = facts.Select(f => (f.Language, f.FactId))
            .Concat(q.Records.Select(r => (r.Source.Split('/')[1], r.RecordId))).ToList();
        var tuples = rows.GroupBy(r => r.Item1).ToDictionary(g => g.Key, g => g.Count());
        var expected = new Dictionary<string, int>
        {
            ["en"] = 31_433, ["de"] = 27_821, ["fr"] = 28_653, ["es"] = 26_791, ["ru"] = 21_307, ["el"] = 10_595,
            ["bn"] = 7_614, ["fa"] = 15_876, ["fi"] = 19_530, ["hu"] = 17_282, ["et"] = 9_669, ["ja"] = 21_876,
            ["ko"] = 13_836, ["zh-hans"] = 9_758, ["ar"] = 16_406, ["tr"] = 13_807, ["id"] = 13_657,
        };
        Assert.Equal(expected.OrderBy(kv => kv.Key), tuples.OrderBy(kv => kv.Key));
        Assert.Equal(299_401, facts.Count);
        Assert.Equal(38, facts.Select(f => f.Relation).Distinct().Count());
        Assert.Equal(6_510, q.Total);
        var six = new[] { "en", "fr", "fi", "hu", "ja", "ko" }
            .Select(l => rows.Where(r => r.Item1 == l).Select(r => r.Item2).ToHashSet()).ToList();
        Assert.Equal(10_152, six.Aggregate((a, s) => { a.IntersectWith(s); return a; }).Count);
        Assert.Contains(facts, f => f is { FactId: "P19/0", Language: "en", Subject: "Allan Peiper", Object: "Alexandra" });
    }

    [Fact]
    public void ReadsAnyLanguageFolderAndQuarantinesFoldersThatAreNotLanguages()
    {
        using var b = new TempBenchmark()
            .Write("patterns/sw/P19.jsonl", """{"pattern": "[X] alizaliwa [Y]", "checked-by-human": false}""")
            .Write("patterns/en/P19.jsonl", """{"pattern": "[X] was born in [Y]"}""")
            .Write("patterns/drafts/P19.jsonl", """{"pattern": "[X] old [Y]"}""")
            .Write("tuples/sw/P19.jsonl", """{"sub_uri": "Q1", "obj_uri": "Q2", "obj_label": "Nairobi", "sub_label": "Amina", "lineid": 4}""")
            .Write("tuples/en/P19.jsonl", """{"sub_uri": "Q1", "obj_uri": "Q2", "obj_label": "Nairobi", "sub_label": "Amina", "lineid": 4}""");
        Assert.Equal("mpararel", BenchmarkLoaders.Detect(b.Root).Format);
        var q = new QuarantineLog();
        var source = new MParaRelLoader().Open(b.Root, q);
        Assert.Equal(["en", "sw"], source.Languages.Select(l => l.Code));
        var bad = Assert.Single(q.Records);
        Assert.Equal(("patterns/drafts/P19.jsonl", 1, "unknown_language"), (bad.Source, bad.Line, bad.Reason));
        Assert.Equal([("P19/4", "en"), ("P19/4", "sw")], source.ReadFacts(q).Select(f => (f.FactId, f.Language)));
    }
}
