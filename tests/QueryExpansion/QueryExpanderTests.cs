using KnPipeline.Stages.Data;
using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Data.Support;
using Xunit;

namespace KnPipeline.Tests.QueryExpansion;

public sealed class QueryExpanderTests
{
    private static readonly FactRecord Dante = new("f1", "P19", "en", "Dante", "Florence", []);

    [Fact]
    public void AQueryFillsTheSubjectKeepsTheObjectSlotAndCutsTheCausalPrompt()
    {
        var q = QueryExpander.MakeQuery(Dante, new TemplateRecord("P19", "en", "t1", "[X] was born in [Y] .", "train"));
        Assert.Equal(new QueryRecord("f1|en|t1", "f1", "P19", "en", "t1", "train", "Dante was born in [Y] .",
            "Dante was born in", "Florence", 18, true) { SubjectStart = 0, SubjectLength = 5 }, q);
    }

    [Fact]
    public void AnObjectFirstTemplateHasNoPrompt()
    {
        var q = QueryExpander.MakeQuery(Dante,
            new TemplateRecord("P19", "en", "t3", "[Y] is the birthplace of [X] .", "heldout"));
        Assert.Equal(("[Y] is the birthplace of Dante .", (string?)null, 0, false),
            (q.Text, q.Prompt, q.ObjectStart, q.SubjectFirst));
    }

    [Fact]
    public void TheObjectSlotIsFoundFromTheTemplateNotTheFilledText()
    {
        var fact = Dante with { Subject = "A[Y]B", Language = "ja" };
        var q = QueryExpander.MakeQuery(fact, new TemplateRecord("P19", "ja", "j1", "[X]は[Y]で生まれた。", "train"));
        Assert.Equal("A[Y]Bは[Y]で生まれた。", q.Text);
        Assert.Equal(6, q.ObjectStart);
        Assert.Equal("[Y]", q.Text.Substring(q.ObjectStart, 3));
        Assert.Equal("A[Y]Bは", q.Prompt);
    }

    [Fact]
    public void CausalExpansionSkipsAndCountsObjectFirstTemplates()
    {
        using var b = RmlLamaFixture.Create();
        var source = new RmlLamaLoader().Open(b.Root, new QuarantineLog());
        var expander = new QueryExpander(new QueryExpansionOptions { ModelKind = ModelKind.Causal });
        var queries = expander.Expand(source, new QuarantineLog()).ToList();
        Assert.Equal(11, queries.Count);
        Assert.Equal(9, queries.Count(q => q.Language == "en"));
        Assert.All(queries, q => Assert.True(q.SubjectFirst));
        Assert.All(queries, q => Assert.NotNull(q.Prompt));
        Assert.Equal(5, expander.Skipped[QueryExpander.SubjectAfterObject]);
        Assert.Equal(8, expander.Facts);
        Assert.Equal(11, expander.Queries);
        Assert.Equal(queries.Count, queries.Select(q => q.QueryId).Distinct().Count());
    }

    [Fact]
    public void MaskedExpansionUsesEveryTemplateAndTheSplitFilterCountsWhatItDrops()
    {
        using var b = RmlLamaFixture.Create();
        var source = new RmlLamaLoader().Open(b.Root, new QuarantineLog());
        int Count(TemplateSplitFilter split, out QueryExpander e)
        {
            e = new QueryExpander(new QueryExpansionOptions { ModelKind = ModelKind.Masked, Split = split });
            return e.Expand(source, NullQuarantine.Instance).Count();
        }
        Assert.Equal(16, Count(TemplateSplitFilter.All, out var all));
        Assert.Equal(0, all.Skipped[QueryExpander.SubjectAfterObject]);
        Assert.Equal(11, Count(TemplateSplitFilter.Train, out var train));
        Assert.Equal(5, train.Skipped[QueryExpander.SplitFiltered]);
        Assert.Equal(5, Count(TemplateSplitFilter.Heldout, out var heldout));
        // P36 has no held-out template: its three en facts yield nothing and are counted.
        Assert.Equal(3, heldout.Skipped[QueryExpander.NoTemplatesInSplit]);
    }

    [Fact]
    public void AQueryOfALanguageHeldOutCellTakesTheCellsSplitNotTheTemplates()
    {
        var cell = Dante with { Split = TemplateSplits.HeldoutLanguage };
        foreach (string template in new[] { "train", "heldout" })
            Assert.Equal("heldout-language", QueryExpander.MakeQuery(cell,
                new TemplateRecord("P19", "en", "t1", "[X] was born in [Y] .", template)).Split);
    }

    [Fact]
    public void TheSplitFilterSelectsByTheQuerysSplitSoTrainAndHeldoutKeepTrainedCellsOnly()
    {
        // en: f1 trained, f2 held out by language; two training templates and one held-out template each.
        TemplateRecord[] templates =
        [
            new("P19", "en", "t1", "[X] was born in [Y] .", "train"),
            new("P19", "en", "t2", "[X] is a native of [Y] .", "train"),
            new("P19", "en", "t3", "[X] hails from [Y] .", "heldout"),
        ];
        FactRecord[] facts = [Dante, new("f2", "P19", "en", "Kant", "Königsberg", [], "heldout-language")];
        IEnumerable<string> Ids(TemplateSplitFilter split, out QueryExpander e)
        {
            e = new QueryExpander(new QueryExpansionOptions { Split = split });
            return e.Expand(facts, (_, _) => templates).Select(q => $"{q.QueryId} {q.Split}").ToList();
        }
        Assert.Equal(["f1|en|t1 train", "f1|en|t2 train"], Ids(TemplateSplitFilter.Train, out var train));
        Assert.Equal(4, train.Skipped[QueryExpander.SplitFiltered]);
        Assert.Equal(1, train.Skipped[QueryExpander.NoTemplatesInSplit]);
        Assert.Equal(["f1|en|t3 heldout"], Ids(TemplateSplitFilter.Heldout, out _));
        Assert.Equal(["f2|en|t1 heldout-language", "f2|en|t2 heldout-language", "f2|en|t3 heldout-language"],
            Ids(TemplateSplitFilter.HeldoutLanguage, out var language));
        Assert.Equal(3, language.Skipped[QueryExpander.SplitFiltered]);
        Assert.Equal(1, language.Facts);
        Assert.Equal(6, Ids(TemplateSplitFilter.All, out _).Count());
    }

    [Fact]
    public void LanguageAndRelationFiltersKeepOnlyWhatIsAsked()
    {
        using var b = RmlLamaFixture.Create();
        var source = new RmlLamaLoader().Open(b.Root, new QuarantineLog());
        var ja = new QueryExpander(new QueryExpansionOptions { Languages = ["ja"] });
        Assert.Equal(["f1|ja|P19_ja_1", "f2|ja|P19_ja_1"],
            ja.Expand(source, NullQuarantine.Instance).Select(q => q.QueryId));
        Assert.Equal(6, ja.Skipped[QueryExpander.LanguageFiltered]);
        var p36 = new QueryExpander(new QueryExpansionOptions { Relations = ["P36"], ModelKind = ModelKind.Masked });
        Assert.Equal(3, p36.Expand(source, NullQuarantine.Instance).Count());
        var e = Assert.Throws<ArgumentException>(() =>
            new QueryExpander(new QueryExpansionOptions { Languages = ["de"] })
                .Expand(source, NullQuarantine.Instance).ToList());
        Assert.Contains("'de'", e.Message);
    }

    [Fact]
    public void FactSamplingPicksTheSameFactsInEveryLanguageAndCountsTheRest()
    {
        using var b = RmlLamaFixture.Create();
        var source = new RmlLamaLoader().Open(b.Root, new QuarantineLog());
        var expander = new QueryExpander(
            new QueryExpansionOptions { FactsPerRelation = 1, Seed = 3, ModelKind = ModelKind.Masked });
        var queries = expander.Expand(source, NullQuarantine.Instance).ToList();
        Assert.Single(queries.Where(q => q.Relation == "P19").Select(q => q.FactId).Distinct());
        Assert.Single(queries.Where(q => q.Relation == "P36").Select(q => q.FactId).Distinct());
        string p19 = queries.First(q => q.Relation == "P19").FactId;
        // en has 5 other facts (P19 2, P36 2 … minus the picks); ja has f1, f2 of which at most one is the pick.
        long expectedNotSampled = 8 - 2 - (p19 is "f1" or "f2" ? 1 : 0);
        Assert.Equal(expectedNotSampled, expander.Skipped[QueryExpander.NotSampled]);
        Assert.Equal(p19 is "f1" or "f2", queries.Any(q => q.Language == "ja"));
    }

    [Fact]
    public void TheSampleDependsOnSeedAndIdsOnlyNotOnOrder()
    {
        var facts = Enumerable.Range(0, 200).SelectMany(i => new[]
        {
            new FactRecord($"id{i}", i % 2 == 0 ? "P19" : "P36", "en", "s", "o", []),
            new FactRecord($"id{i}", i % 2 == 0 ? "P19" : "P36", "fr", "s", "o", []),
        }).ToList();
        var a = FactSampler.Pick(facts, 10, seed: 42);
        var reversed = FactSampler.Pick(Enumerable.Reverse(facts), 10, seed: 42);
        Assert.Equal(20, a.Count);
        Assert.Equal(10, a.Count(p => p.Relation == "P19"));
        Assert.True(a.SetEquals(reversed));
        var other = FactSampler.Pick(facts, 10, seed: 43);
        Assert.False(a.SetEquals(other));
        // The picks are the 10 smallest mixed seeded hashes per relation.
        var expected = facts.Where(f => f.Relation == "P19").Select(f => f.FactId).Distinct()
            .OrderBy(id => StableHash.Mixed(42, id)).Take(10).ToHashSet();
        Assert.True(expected.SetEquals(a.Where(p => p.Relation == "P19").Select(p => p.FactId)));
    }

    [Fact]
    public void SequentialIdsAreSampledAcrossTheirRangeNotAsARun()
    {
        // Ids that differ only in their last characters, as the embedded benchmark's P19-001 … P19-030: ordering by
        // the FNV hash alone kept six consecutive ones.
        var facts = Enumerable.Range(1, 30).Select(i => new FactRecord($"P19-{i:D3}", "P19", "en", "s", "o", []));
        var picked = FactSampler.Pick(facts, 6, seed: 1234).Select(p => int.Parse(p.FactId[4..])).Order().ToList();
        Assert.Equal(6, picked.Count);
        Assert.True(picked[^1] - picked[0] >= 10, $"sample {string.Join(",", picked)} is one run");
        var runs = picked.Zip(picked.Skip(1)).Count(p => p.Second == p.First + 1);
        Assert.True(runs < 5, $"sample {string.Join(",", picked)} is consecutive");
    }
}
