using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Records;
using Xunit;
using static KnPipeline.Stages.Localization.QueryLocalizationStatistics;

namespace KnPipeline.Tests.Localization;

/// <summary>
/// Known answers for issue #16's statistics: CS of identical and disjoint sets, Otsu between two modes, Welch's t on
/// a textbook example with the t distribution's CDF against closed forms, the ∩ column on hand-made cells, the null's
/// draws, and a bootstrap that repeats itself.
/// </summary>
public sealed class QueryLocalizationStatisticsTests
{
    [Fact]
    public void IdenticalSetsAreFullyConsistentAndDisjointOnesNotAtAll()
    {
        IReadOnlyCollection<int>[] same = [new[] { 1, 5, 9 }, new[] { 9, 5, 1 }, new[] { 1, 9, 5 }];
        Assert.Equal(1.0, Consistency.Cs1(same));
        Assert.Equal(1.0, Consistency.Cs2(same).Cs2);
        Assert.Equal([1, 5, 9], Consistency.Cs2(same).Intersection);
        IReadOnlyCollection<int>[] disjoint = [new[] { 1, 2 }, new[] { 3 }, new[] { 4, 5, 6 }];
        Assert.Equal(0.0, Consistency.Cs1(disjoint));
        Assert.Equal((0.0, 6), (Consistency.Cs2(disjoint).Cs2, Consistency.Cs2(disjoint).UnionSize));
    }

    [Fact]
    public void OtsuSplitsABimodalHistogramBetweenItsModes()
    {
        // Modes around 0.1 and 0.7, nothing in [0.2, 0.6): every edge of the gap separates them equally well, and
        // the middle of the gap is taken.
        double[] values = [0.08, 0.1, 0.1, 0.12, 0.14, 0.19, 0.61, 0.66, 0.7, 0.7, 0.72, 0.76, 0.78];
        double? tau = Otsu(values, 50);
        Assert.NotNull(tau);
        Assert.Equal(0.4, tau!.Value, 12);
        Assert.All(values, v => Assert.Equal(v < 0.5 ? Inconsistent : Consistent, ClassOf(v, tau.Value)));
        // Unequal modes: the threshold still falls in the gap.
        double? skewed = Otsu([0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.11, 0.12, 0.9, 0.92], 20);
        Assert.InRange(skewed!.Value, 0.15, 0.9);
        Assert.Null(Otsu([0.3, 0.3, 0.3], 50));
        Assert.Null(Otsu([], 50));
    }

    [Fact]
    public void WelchMatchesATextbookExample()
    {
        // Wikipedia, "Welch's t-test", example 1 (equal sizes, unequal variances): t = −2.46, ν ≈ 25.0, p = 0.021.
        double[] a1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
        double[] a2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
        var w = Welch(a1, a2);
        Assert.Equal(-2.46, w.T!.Value, 2);
        Assert.Equal(24.99, w.Df!.Value, 1);
        Assert.Equal(0.021, w.P!.Value, 3);
        // By hand: means 5 and 2, variances 2.5 and 2/3 over 5 and 4 values, so s²/n = 1/2 and 1/6:
        // t = 3 / √(2/3), ν = (2/3)² / ((1/2)²/4 + (1/6)²/3).
        var h = Welch([3, 4, 5, 6, 7], [1, 2, 2, 3]);
        Assert.Equal(3 / Math.Sqrt(2 / 3.0), h.T!.Value, 12);
        Assert.Equal(4 / 9.0 / (0.25 / 4 + 1 / 108.0), h.Df!.Value, 12);
        Assert.Null(Welch([0.5], [0.1, 0.2]).T);
    }

    [Fact]
    public void TheTDistributionMatchesItsClosedForms()
    {
        // ν = 1 is Cauchy, ν = 2 has t / (2√(2 + t²)); I_x(1, 1) = x; and the familiar 97.5% point of t(10).
        foreach (double t in new[] { -3.0, -0.5, 0.0, 0.7, 2.0, 12.0 })
        {
            Assert.Equal(0.5 + Math.Atan(t) / Math.PI, StudentTCdf(t, 1), 12);
            Assert.Equal(0.5 + t / (2 * Math.Sqrt(2 + t * t)), StudentTCdf(t, 2), 12);
        }
        Assert.Equal(0.37, RegularizedIncompleteBeta(0.37, 1, 1), 12);
        Assert.Equal(0.975, StudentTCdf(2.228139, 10), 6);
        Assert.Equal(Math.Log(24), LogGamma(5), 12);
        Assert.Equal(0.5 * Math.Log(Math.PI), LogGamma(0.5), 12);
    }

    private static ConsistencyRecord Cell(string fact, string language, string method, double cs2,
        string relation = "R", string[]? queryIds = null) =>
        new(fact, relation, language, method, "train", 4, true, queryIds ?? [], 0, cs2, 0, 0, 0, 0,
            ClassOf(cs2, 0.3), 0, 0);

    [Fact]
    public void TheIntersectionColumnCountsCellsInconsistentUnderEveryMethod()
    {
        ConsistencyRecord[] cells =
        [
            Cell("f1", "en", "dai", 0.1), Cell("f1", "en", "amig", 0.2), // K_II under both
            Cell("f1", "de", "dai", 0.1), Cell("f1", "de", "amig", 0.5), // K_II under dai only
            Cell("f2", "en", "dai", 0.4), Cell("f2", "en", "amig", 0.25), // K_II under amig only (static)
            Cell("f3", "en", "dai", 0.05), // amig did not classify it: left out of ∩
        ];
        var otsu = new Dictionary<string, double?> { ["dai"] = 0.45, ["amig"] = 0.22 };
        var joint = Joint(cells, ["dai", "amig"], 0.3, otsu);
        Assert.Equal(3, joint.Count);
        var (st, ot) = JointRatio(joint);
        Assert.Equal((3, 1), (st.Cells, st.Inconsistent!.Value));
        Assert.Equal(1 / 3.0, st.Value!.Value, 12);
        // Otsu: f1 en (0.1 < 0.45, 0.2 < 0.22) yes; f1 de (0.5 ≥ 0.22) no; f2 en (0.4 < 0.45, 0.25 ≥ 0.22) no.
        Assert.Equal(1, ot.Inconsistent);
        Assert.Null(JointRatio(Joint(cells, ["dai", "amig"], 0.3,
            new Dictionary<string, double?> { ["dai"] = 0.45, ["amig"] = null })).Otsu.Value);
        Assert.Equal(2 / 3.0, KiiRatio([0.1, 0.2, 0.5], 0.3).Value!.Value, 12);
    }

    [Fact]
    public void TheNullDrawsOtherFactsInTheCellsTemplatesBySameAndOtherAnswer()
    {
        QuerySet Q(string fact, string template, params int[] neurons) =>
            new($"{fact}|en|{template}", fact, "R", "en", template, neurons);
        // f1 is the cell; f2 and f3 share its answer (7), f4 and f5 do not (8). f5 lacks template t2.
        QuerySet[] sets =
        [
            Q("f1", "t1", 1, 2), Q("f1", "t2", 1, 2),
            Q("f2", "t1", 1, 3), Q("f2", "t2", 1, 3), Q("f3", "t1", 1, 4), Q("f3", "t2", 1, 4),
            Q("f4", "t1", 9), Q("f4", "t2", 9), Q("f5", "t1", 5),
        ];
        var answers = new Dictionary<(string, string), int>
            { [("f1", "en")] = 7, [("f2", "en")] = 7, [("f3", "en")] = 7, [("f4", "en")] = 8, [("f5", "en")] = 8 };
        var cell = Cell("f1", "en", "dai", 1.0, queryIds: ["f1|en|t1", "f1|en|t2"]);
        var n = NullConsistency([cell], sets, answers, 5).Single();
        // Same answer: one of f2, f3 in t1 and the other in t2, sharing neuron 1 of three: 1/3.
        Assert.Equal(new NullDraw(2, 1 / 3.0, 1 / 3.0, 1.0, 1 / 3.0, 1.0), n.Same);
        // Other answer: f4 or f5 in t1, but only f4 has t2, so f5 must take t1 if drawn first; the greedy draw
        // either fills both (f5 then f4: {5}, {9}) or stops at one (f4 first, f5 lacks t2) and gives no null.
        Assert.True(n.Other is null || n.Other == new NullDraw(2, 0, 0, 1.0, 0, 1.0));
        Assert.Equal(n, NullConsistency([cell], sets, answers, 5).Single());
        Assert.Empty(RelationsWithoutSameObjectPair(sets, answers));
        Assert.Equal(["R"], RelationsWithoutSameObjectPair(sets, new Dictionary<(string, string), int>
            { [("f1", "en")] = 1, [("f2", "en")] = 2, [("f3", "en")] = 3 }));
    }

    [Fact]
    public void TheBootstrapOverFactsIsDeterministicAndBracketsTheMean()
    {
        var rows = Enumerable.Range(0, 40).Select(i => ($"f{i % 10}", -0.1 * (i % 7), 3.0)).ToList();
        var a = Mean(rows, 42, "mapping|dai|own", 1000);
        var b = Mean(rows, 42, "mapping|dai|own", 1000);
        Assert.Equal(a, b);
        Assert.Equal(rows.Average(r => r.Item2), a.Mean!.Value, 12);
        Assert.InRange(a.Mean!.Value, a.Low!.Value, a.High!.Value);
        Assert.True(a.Low < a.High);
        Assert.Equal((40, 10, 3.0), (a.Queries, a.Facts, a.MeanSize!.Value));
        // Another seed or statistic name draws other resamples.
        Assert.NotEqual(a.Low, Mean(rows, 43, "mapping|dai|own", 1000).Low);
        // Non-finite rows (p_before = 0) are counted, not averaged.
        var withNaN = Mean([.. rows, ("f0", double.NaN, 3.0)], 42, "x", 100);
        Assert.Equal((40, 1), (withNaN.Queries, withNaN.NonFinite));
        Assert.Equal(Estimate.Empty, Mean([], 42, "x", 100));
    }
}
