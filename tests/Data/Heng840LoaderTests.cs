using KnPipeline.Stages.Data;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Data;

public sealed class Heng840LoaderTests
{
    /// <summary>
    /// ../shared/data/heng840-multilingual-pararel/SOURCE.md: 6 languages; 10,091 parallel facts over 41 relations,
    /// 6,631 of them (32 relations) with templates and 3,460 without; aligned templates en 207, fr 183, fi 153,
    /// hu 138, ja 159, ko 158; rebuilt queries per language equal the published sentence counts
    /// (en 41,076; fr 34,440; fi 29,594; hu 26,569; ja 30,119; ko 30,903).
    /// </summary>
    [SharedFact("data/heng840-multilingual-pararel/my_mlama")]
    public void RebuildsTheAlignedSetWithTheCountsOfItsSourceCard()
    {
        var q = new QuarantineLog(capacity: 100_000);
        var skipped = new ReasonCounter();
        var source = new Heng840Loader().Open(SharedData.Path("data", "heng840-multilingual-pararel"), q);
        Assert.Equal(0, q.Total);
        Assert.Equal(["en", "fi", "fr", "hu", "ja", "ko"], source.Languages.Select(l => l.Code));
        var templates = source.Templates.GroupBy(t => t.Language).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<string, int> { ["en"] = 207, ["fi"] = 153, ["fr"] = 183, ["hu"] = 138, ["ja"] = 159, ["ko"] = 158 },
            templates);
        Assert.Equal(32, source.Templates.Select(t => t.Relation).Distinct().Count());
        Assert.All(source.Templates, t => Assert.True(t.SubjectFirst));

        var facts = source.ReadFacts(q, skipped).ToList();
        Assert.All(facts.GroupBy(f => f.Language), g => Assert.Equal(6_631, g.Count()));
        Assert.Equal(6_631, facts.Select(f => f.FactId).Distinct().Count());
        Assert.Equal(32, facts.Select(f => f.Relation).Distinct().Count());
        Assert.Equal(new Dictionary<string, long> { ["no_templates"] = 6 * 3_460 }, q.CountsByReason());
        Assert.Equal(10_091, facts.Select(f => f.FactId).Concat(q.Records.Select(r => r.RecordId)).Distinct().Count());
        Assert.Equal(41, facts.Select(f => f.Relation).Concat(q.Records.Select(r => r.Source.Split('/')[^1]))
            .Select(r => r.Replace(".jsonl", "")).Distinct().Count());
        // Facts of the P*.jsonl files that are not in every language: 137,823 lines − 6 × 10,091.
        Assert.Equal(77_277, skipped[Heng840Loader.NotParallel]);

        var queries = facts.GroupBy(f => f.Language)
            .ToDictionary(g => g.Key, g => g.Sum(f => source.TemplatesFor(f.Language, f.Relation).Count));
        Assert.Equal(new Dictionary<string, int>
        {
            ["en"] = 41_076, ["fr"] = 34_440, ["fi"] = 29_594, ["hu"] = 26_569, ["ja"] = 30_119, ["ko"] = 30_903,
        }, queries);
    }
}
