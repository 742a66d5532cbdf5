using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Records;
using Xunit;
using static KnPipeline.Tests.Localization.SyntheticAttributions;

namespace KnPipeline.Tests.Localization;

/// <summary>The query-localization stage on synthetic facts whose consistency is known by construction.</summary>
public class QueryLocalizationStageTests
{
    private const int Wide = 16;

    private static QueryLocalizationStage Stage(int n = 4, bool kl = true, bool mapping = true) =>
        new(new ConsistencyOptions { Queries = n, KlVsQl = kl, Mapping = mapping }, knThreshold: 0.2,
            refinedShare: 0.3, ffnWidth: Wide, seed: 1234);

    /// <summary>A flat vector over 2 layers × 16 units with 1.0 at the given indices, 0.01 elsewhere.</summary>
    private static float[] Hot(params int[] at)
    {
        var v = Enumerable.Repeat(0.01f, 2 * Wide).ToArray();
        foreach (int i in at)
            v[i] = 1f;
        return v;
    }

    [Fact]
    public void IdenticalQueriesScoreOneDisjointQueriesZero()
    {
        Assert.Equal(1.0, Consistency.Cs1([new HashSet<int> { 1, 2 }, new HashSet<int> { 1, 2 }]));
        Assert.Equal(1.0, Consistency.Cs2([new HashSet<int> { 1, 2 }, new HashSet<int> { 2, 1 }]).Cs2);
        Assert.Equal(0.0, Consistency.Cs1([new HashSet<int> { 1 }, new HashSet<int> { 2 }, new HashSet<int> { 3 }]));
        Assert.Equal(0.0, Consistency.Cs2([new HashSet<int> { 1, 2 }, new HashSet<int> { 3 }]).Cs2);
        // {1,2}, {2,3}: pairwise 1/3; ∩ {2} of ∪ {1,2,3}.
        var (cs2, inter, union) = Consistency.Cs2([new HashSet<int> { 1, 2 }, new HashSet<int> { 2, 3 }]);
        Assert.Equal((1 / 3.0, 3), (cs2, union));
        Assert.Equal([2], inter);
        Assert.Equal(0.0, Consistency.Jaccard(new HashSet<int>(), new HashSet<int>()));
    }

    [Fact]
    public void CellsAreClassifiedOnTheirFirstNCorrectTrainingQueries()
    {
        var attributed = new List<Stages.Attribution.MethodAttribution>();
        // en: four queries sharing neuron 3 exactly: consistent. A fifth (template 4) is outside the first n.
        for (int k = 0; k < 5; k++)
            attributed.Add(Of(Query("en", k), Hot(3), width: Wide));
        // de: four queries on four different neurons: inconsistent, CS = 0.
        for (int k = 0; k < 4; k++)
            attributed.Add(Of(Query("de", k), Hot(k + 20), width: Wide));
        // fr: three correct training queries and one wrong one: not classified.
        for (int k = 0; k < 3; k++)
            attributed.Add(Of(Query("fr", k), Hot(5), width: Wide));
        attributed.Add(Of(Query("fr", 3), Hot(5), rank: 2, width: Wide));
        var group = Group(attributed) with
        {
            Predictions =
            [
                Prediction("en", 7, true), Prediction("en", 8, true), Prediction("en", 9, false),
                Prediction("de", 7, false),
            ],
        };
        var (cells, plan) = Stage().Analyze(group);
        var en = cells.Single(c => c.Language == "en");
        Assert.Equal((true, 5, 1.0, 1.0, 1, 1), (en.Classified, en.CorrectQueries, en.Cs1, en.Cs2,
            en.IntersectionSize, en.UnionSize));
        Assert.Equal(ConsistencyRecord.Consistent, en.ClassStatic);
        Assert.Equal(["F1|en|P36-en-0", "F1|en|P36-en-1", "F1|en|P36-en-2", "F1|en|P36-en-3"], en.QueryIds);
        Assert.Equal((2, 3), (en.HeldoutCorrect, en.HeldoutTotal));
        var de = cells.Single(c => c.Language == "de");
        Assert.Equal((0.0, 0.0, ConsistencyRecord.Inconsistent), (de.Cs1, de.Cs2, de.ClassStatic));
        var fr = cells.Single(c => c.Language == "fr");
        Assert.False(fr.Classified);
        Assert.True(double.IsNaN(fr.Cs2));
        Assert.Equal("", fr.ClassStatic);
        Assert.DoesNotContain(plan, p => p.Request.Query.Language == "fr");

        // KL vs QL: en's refined set is {3}; each query's own top-1 is also {3}. de's refined set is empty (each
        // neuron is coarse in 1 of 4 queries), so both arms are empty there: equal sizes, as the issue asks.
        var kl = plan.Where(p => p.Analysis == "kl_vs_ql").ToList();
        Assert.Equal(2 * (5 + 4), kl.Count);
        Assert.All(kl.Where(p => p.Request.Query.Language == "en"), p =>
        {
            Assert.Equal([1], p.Request.Set.Layers);
            Assert.Equal([3], p.Request.Set.Units);
        });
        Assert.All(kl.Where(p => p.Request.Query.Language == "de"), p => Assert.Equal(0, p.Request.Set.Count));

        // Mapping: per query of the first n, own + intersection + 3 neighbours, each with its control, at α 0 and 2.
        var mapping = plan.Where(p => p.Analysis == "mapping").ToList();
        Assert.Equal(2 * 4 * (1 + 1 + 3) * 2 * 2, mapping.Count);
        var deInter = mapping.Where(p => p.Request.Query.Language == "de" && p.Arm == "intersection").ToList();
        Assert.All(deInter, p => Assert.Equal(0, p.Request.Set.Count));
        // A neighbour's set is the other query's coarse set, named by its id.
        var n = mapping.First(p => p.Request.Query.QueryId == "F1|de|P36-de-0" && p.Arm == "neighbour" && !p.Control);
        Assert.Equal("F1|de|P36-de-1", n.SourceQuery);
        Assert.Equal([2], n.Request.Set.Layers);
        Assert.Equal([21 - Wide], n.Request.Set.Units);
        // Controls match their set's layers and miss its neurons.
        var own = mapping.Single(p => p.Request.Query.QueryId == "F1|de|P36-de-0" && p.Arm == "own" && !p.Control &&
                                      p.Request.Alpha == 0);
        var control = mapping.Single(p => p.Request.Query.QueryId == "F1|de|P36-de-0" && p.Arm == "own" &&
                                          p.Control && p.Request.Alpha == 0);
        Assert.Equal(own.Request.Set.Layers, control.Request.Set.Layers);
        Assert.NotEqual(own.Request.Set.Units, control.Request.Set.Units);
        Assert.All(mapping, p => Assert.Contains(p.Request.Alpha, QueryLocalizationStage.MappingAlphas));
    }

    [Fact]
    public void SynapseQueriesAreTheCorrectTrainingQueriesWithOneHeatmapPerFact()
    {
        var attributed = new List<Stages.Attribution.MethodAttribution>
        {
            Of(Query("en", 0), Hot(3), width: Wide),
            Of(Query("en", 1, TemplateSplits.Heldout), Hot(3), width: Wide),
            Of(Query("de", 0), Hot(4, 20), width: Wide),
            Of(Query("de", 1), Hot(4), rank: 1, width: Wide),
        };
        var queries = Stage().SynapseQueries(Group(attributed));
        Assert.Equal(["F1|de|P36-de-0", "F1|en|P36-en-0"], queries.Select(q => q.Query.QueryId));
        Assert.Equal([true, false], queries.Select(q => q.Heatmap));
        Assert.Equal([1, 2], queries[0].Kns.Layers);
        Assert.Equal([4, 20 - Wide], queries[0].Kns.Units);
    }

    private static PredictionRecord Prediction(string language, int template, bool correct) =>
        new($"F1|{language}|P36-{language}-{template}", "F1", "P36", language, $"P36-{language}-{template}",
            TemplateSplits.Heldout, 0, "", 0, correct ? 0 : 3, 0.5, correct);
}
