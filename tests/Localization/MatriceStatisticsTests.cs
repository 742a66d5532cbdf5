using KnPipeline.Stages.Data;
using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Records;
using Xunit;
using static KnPipeline.Stages.Localization.MatriceStatistics;

namespace KnPipeline.Tests.Localization;

/// <summary>
/// The reduce phase's statistics over hand-made records whose answers are known by construction: Jaccard with
/// empty sets, overlap by script with ja–zh apart, fact-specificity with a neuron shared by a whole relation,
/// bootstrap intervals (deterministic, seeded per arm, independent of row order), the planted-truth grouping, the
/// per-layer counts and the per-relation top-k.
/// </summary>
public class MatriceStatisticsTests
{
    internal static readonly Dictionary<string, LanguageInfo> Scripts = new()
    {
        ["en"] = new("en", "English", "Indo-European", "Latin", true),
        ["de"] = new("de", "German", "Indo-European", "Latin", true),
        ["ru"] = new("ru", "Russian", "Indo-European", "Cyrillic", true),
        ["ja"] = new("ja", "Japanese", "Japonic", "Japanese", false),
        ["zh"] = new("zh", "Chinese", "Sino-Tibetan", "Han", false),
    };

    internal static MatriceRecord M(string fact, string relation, int languages, (int L, int U)[] agnostic,
        bool guessable = false, string method = "dai", float[]? score = null, double sigma = 0.1) =>
        new(fact, relation, method, "mean-std", "mean-std", true, guessable,
            Enumerable.Range(0, languages).Select(i => $"l{i}").ToArray(), [],
            agnostic.Select(a => a.L).ToArray(), agnostic.Select(a => a.U).ToArray(),
            agnostic.Select(_ => 0.5f).ToArray(), sigma, 2, score ?? []);

    internal static FactKnRecord K(string fact, string language, (int L, int U)[] refined, bool localized = true,
        (int L, int U)[]? perLanguage = null, (int L, int U)[]? specific = null, double querySigma = double.NaN,
        string method = "dai") =>
        new(fact, "R", language, method, "train", 3, localized, refined.Select(n => n.L).ToArray(),
            refined.Select(n => n.U).ToArray(), refined.Select(_ => 0.5f).ToArray(),
            (perLanguage ?? []).Select(n => n.L).ToArray(), (perLanguage ?? []).Select(n => n.U).ToArray(),
            (specific ?? []).Select(n => n.L).ToArray(), (specific ?? []).Select(n => n.U).ToArray(), querySigma);

    internal static LoloRecord L(string fact, string language, string arm, double dprob, int size = 1,
        string query = "q", string method = "dai") =>
        new($"{fact}|{language}|{query}", fact, "R", language, "t0", "train", method, arm, "",
            new int[size], new int[size], 0.5, 0.5 * (1 + dprob));

    [Fact]
    public void TheJaccardOfTwoEmptySetsIsZero()
    {
        var empty = new HashSet<(int, int)>();
        Assert.Equal(0, Jaccard(empty, new HashSet<(int, int)>()));
        Assert.Equal(0, Jaccard(new HashSet<(int, int)> { (0, 1) }, empty));
        Assert.Equal(1.0 / 3,
            Jaccard(new HashSet<(int, int)> { (0, 1), (0, 2) }, new HashSet<(int, int)> { (0, 2), (1, 0) }));
        Assert.Equal(1, Jaccard(new HashSet<(int, int)> { (3, 3) }, new HashSet<(int, int)> { (3, 3) }));
    }

    [Fact]
    public void OverlapSplitsSameAndCrossScriptAndKeepsJapaneseChineseApart()
    {
        (int, int) a = (0, 1), b = (0, 2), c = (1, 0), d = (2, 5);
        var records = new[]
        {
            K("f1", "en", [a, b]), K("f1", "de", [b, c]), K("f1", "ru", [a, b]),
            K("f2", "en", []), K("f2", "de", []), K("f2", "ja", [d]), K("f2", "zh", [d]),
            // Not localized: its set never counts.
            K("f3", "en", [a]), K("f3", "de", [a], localized: false),
        };
        var o = Overlap(records, Scripts);
        // Same script: f1 en–de 1/3, f2 en–de 0 (two empty sets).
        Assert.Equal(2, o.SameScriptPairs);
        Assert.Equal(1.0 / 6, o.SameScript!.Value, 12);
        // Cross script: f1 de–ru 1/3, en–ru 1; f2 {de, en} × {ja, zh} all 0.
        Assert.Equal(6, o.CrossScriptPairs);
        Assert.Equal(4.0 / 3 / 6, o.CrossScript!.Value, 12);
        Assert.Equal(1, o.JaZhPairs);
        Assert.Equal(1, o.JaZh);
        Assert.Equal(0, o.UnknownScriptPairs);
        var deEn = o.Cells.Single(x => x is { A: "de", B: "en" });
        Assert.Equal((1.0 / 6, 2), (deEn.Jaccard, deEn.Facts));
        Assert.Equal(1, o.Cells.Single(x => x is { A: "en", B: "ru" }).Jaccard);
        // The diagonal: f3's en set is non-empty (1), f2's empty (0), f1's non-empty (1).
        Assert.Equal(2.0 / 3, o.Cells.Single(x => x is { A: "en", B: "en" }).Jaccard, 12);
        Assert.Equal(["de", "en", "ja", "ru", "zh"], o.Languages);
        Assert.Equal((1.0 / 3 + 1.0 / 3 + 1) / 3, o.PerFact["f1"], 12);
        Assert.False(o.PerFact.ContainsKey("f3"));
        Assert.Equal(PairKind.JaZh, ScriptPair("zh-hans", "ja", Scripts));
        Assert.Equal(PairKind.Unknown, ScriptPair("en", "xx", Scripts));
    }

    [Fact]
    public void ANeuronAgnosticForAWholeRelationIsNotFactSpecific()
    {
        (int, int) shared = (5, 7), own = (2, 3);
        var records = new List<MatriceRecord> { M("f1", "R", 2, [shared, own]) };
        for (int i = 2; i <= 6; i++)
            records.Add(M($"f{i}", "R", 3, [shared]));
        // One localized language: its "agnostic" columns are that language's own set, so no agnostic set (§4.6);
        // it still counts among the relation's n = 7 facts.
        records.Add(M("f7", "R", 1, [(4, 4)]));
        records.Add(M("g1", "S", 2, [shared]));
        var s = FactSpecific(records, 0.1);
        // R: max(1, 0.7) = 1: (5,7) is agnostic for 6 facts (not specific), (2,3) for one; S: (5,7) for its only fact.
        Assert.Equal(8, s.Pairs);
        Assert.Equal(2, s.FactSpecificPairs);
        Assert.Equal(0.25, s.Share);
        Assert.Contains(new RelationNeuron("R", 5, 7, 6, 7), s.Neurons);
        Assert.DoesNotContain(s.Neurons, n => n is { Layer: 4, Unit: 4 });
        // A ratio of one allows every fact of the relation.
        Assert.Equal(1, FactSpecific(records, 1.0).Share);
        var k = AgnosticKns(records);
        Assert.Equal((7, 1), (k.Facts, k.FewLanguages));
        Assert.Equal(8.0 / 7, k.Mean!.Value, 12);
        Assert.Null(FactSpecific([M("h", "R", 2, [])], 0.1).Share);
    }

    [Fact]
    public void TheBootstrapIntervalHoldsTheMeanAndIsFixedBySeedAndArm()
    {
        var rows = new List<LoloRecord>();
        double[][] perFact = [[-0.5, -0.3], [-0.1], [0.0, -0.2, -0.4], [-0.6], [0.1, -0.05]];
        for (int f = 0; f < perFact.Length; f++)
            for (int q = 0; q < perFact[f].Length; q++)
                rows.Add(L($"f{f}", "en", "matrice", perFact[f][q], query: $"q{q}"));
        var a = Lolo(rows, 42, 1000).Single();
        double mean = perFact.SelectMany(x => x).Average();
        // The mean over evaluated queries (not over facts).
        Assert.Equal(mean, a.Mean!.Value, 12);
        Assert.Equal((9, 5, 0), (a.Rows, a.Facts, a.NonFinite));
        Assert.True(a.Low < mean && mean < a.High, $"[{a.Low}, {a.High}] vs {mean}");
        // Resampled means lie between the smallest and the largest fact mean.
        Assert.InRange(a.Low!.Value, -0.6, 0.025);
        Assert.InRange(a.High!.Value, -0.6, 0.025);

        // Deterministic: the same seed, any row order; another arm in the input changes nothing here.
        Assert.Equal(a, Lolo(Enumerable.Reverse(rows).ToList(), 42, 1000).Single());
        var withArm = Lolo(rows.Concat(rows.Select(r => r with { Arm = "random" })), 42, 1000);
        Assert.Equal(a, withArm.Single(x => x.Arm == "matrice"));
        Assert.Equal(["matrice", "random"], withArm.Select(x => x.Arm));
        Assert.NotEqual((a.Low, a.High), (Lolo(rows, 43, 1000).Single().Low, Lolo(rows, 43, 1000).Single().High));

        // The generator is the documented one: StableHash.Seeded(seed, "lolo-bootstrap|" + arm).
        var facts = rows.GroupBy(r => r.FactId).Select(g => (g.Sum(r => r.Dprob), g.Count())).ToList();
        var rng = new Random((int)(StableHash.Seeded(42, "lolo-bootstrap|matrice") & 0x7fffffff));
        Assert.Equal((a.Low!.Value, a.High!.Value), Bootstrap(facts, rng, 1000));

        // Identical facts: nothing to resample, the interval is the mean.
        var flat = Lolo([L("a", "en", "amig", -0.2), L("b", "en", "amig", -0.2)], 1, 200).Single();
        Assert.Equal(-0.2, flat.Low!.Value, 12);
        Assert.Equal(-0.2, flat.High!.Value, 12);
    }

    [Fact]
    public void LoloGroupsByTheHeldOutLanguageAndCountsNonEmptySets()
    {
        var rows = new[]
        {
            L("a", "en", "matrice", -0.4, size: 2), L("a", "ru", "matrice", 0, size: 0),
            L("b", "en", "matrice", -0.2, size: 1, query: "q1"), L("b", "en", "matrice", -0.6, size: 1, query: "q2"),
        };
        var (share, pairs) = NonemptyShare(rows);
        Assert.Equal(3, pairs);
        Assert.Equal(2.0 / 3, share!.Value, 12);
        var byScript = Lolo(rows, 5, 100, l => Scripts[l].Script);
        Assert.Equal(["Cyrillic", "Latin"], byScript.Select(x => x.Group));
        Assert.Equal(-0.4, byScript.Single(x => x.Group == "Latin").Mean!.Value, 12);
        Assert.Equal(0, byScript.Single(x => x.Group == "Cyrillic").Mean);
        Assert.Equal(1.0, Lolo(rows, 5, 100).Single().MeanSetSize);
    }

    [Fact]
    public void PlantedTruthGroupsFactsByTheirHeldOutLanguageAnswers()
    {
        PredictionRecord P(string fact, string split, bool correct, int i) =>
            new($"{fact}|{i}", fact, "R", "fi", "t", split, 0, "", 0, correct ? 0 : 3, 0.1, correct);
        var predictions = new[]
        {
            P("f1", "heldout-language", true, 0), P("f1", "heldout-language", true, 1),
            P("f1", "heldout-language", false, 2), P("f1", "train", false, 3),
            // Exactly half is not most.
            P("f2", "heldout-language", true, 0), P("f2", "heldout-language", false, 1),
            P("f3", "train", true, 0),
            P("f4", "heldout-language", true, 0),
            P("f5", "heldout-language", true, 0),
            P("f6", "heldout-language", false, 0),
        };
        var transfers = Transfers(predictions);
        Assert.True(transfers["f1"]);
        Assert.False(transfers["f2"]);
        Assert.False(transfers.ContainsKey("f3"));
        var defaults = new[]
        {
            M("f1", "R", 2, [(0, 0), (0, 1), (1, 1)]), M("f2", "R", 3, [(0, 0)]), M("f3", "R", 2, [(0, 0)]),
            M("f4", "R", 2, [(0, 0), (0, 1), (1, 0), (1, 1), (0, 3)], guessable: true), M("f5", "R", 1, [(0, 0)]),
            M("f6", "R", 2, []),
        };
        var overlap = new Dictionary<string, double> { ["f1"] = 0.4, ["f2"] = 0.2 };
        var p = Planted(defaults, transfers, overlap);
        Assert.Equal(new Group(1, 3, 0.4), p.Transfer);
        Assert.Equal(new Group(2, 0.5, 0.2), p.NoTransfer);
        Assert.Equal((1, 1, 1), (p.Guessable, p.NoHeldOutLanguage, p.FewLanguages));
    }

    [Fact]
    public void PerLayerCountsAgnosticOncePerFactAndSpecificOncePerLanguage()
    {
        var defaults = new[] { M("f1", "R", 2, [(0, 1), (1, 1), (1, 2)]), M("f5", "R", 1, [(0, 9)]) };
        var kns = new[]
        {
            K("f1", "en", [], specific: [(2, 0)]), K("f1", "de", [], specific: [(2, 1), (3, 0)]),
            K("f5", "en", [], perLanguage: [(0, 9)]), K("f1", "ru", [], localized: false, specific: [(3, 3)]),
        };
        Assert.Equal([new LayerCount(0, 1, 1), new LayerCount(1, 2, 0), new LayerCount(2, 0, 2),
            new LayerCount(3, 0, 1)], PerLayer(defaults, kns));
        var u = Uncertainties([M("f1", "R", 2, [(0, 1)], sigma: 0.3), M("f2", "R", 2, [], sigma: double.NaN)],
            [K("f1", "en", [], querySigma: 0.2), K("f1", "de", [], querySigma: double.NaN), K("f2", "en", [])]);
        Assert.Equal([new FactSigma("f1", "en", 0.2)], u.Query);
        Assert.Equal([new FactSigma("f1", "", 0.3)], u.Language);
    }

    [Fact]
    public void RelationTopKIsTheMeanScoreRankedTheSameInAnyOrder()
    {
        // Binary fractions, so the tie below is exact in float.
        var a = M("f1", "R", 2, [], score: [0.125f, 0.5f, 0.25f, 0.25f]);
        var b = M("f2", "R", 2, [], score: [0.375f, 0.125f, 0.375f, 0f]);
        var c = M("f3", "R", 0, [], score: []);
        var forward = new RelationKns();
        foreach (var r in new[] { a, b, c })
            forward.Add(r);
        var backward = new RelationKns();
        foreach (var r in new[] { c, b, a })
            backward.Add(r);
        var top = forward.Top(2, [4, 7]);
        // Means [0.25, 0.3125, 0.3125, 0.125]: a tie goes to the lower index (layer 4 unit 1, then layer 7 unit 0).
        Assert.Equal([(4, 1), (7, 0)], top.Select(k => (k.Layer, k.Unit)));
        Assert.Equal([1, 2], top.Select(k => k.Rank));
        Assert.All(top, k => Assert.Equal(2, k.Facts));
        Assert.Equal(0.3125, top[0].MeanScore);
        Assert.Equal(top, backward.Top(2, [4, 7]));
        // Without the attributed layers, score blocks are layers 0, 1, ...
        Assert.Equal((0, 1), (forward.Top(1)[0].Layer, forward.Top(1)[0].Unit));
    }
}
