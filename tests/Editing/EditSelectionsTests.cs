using KnPipeline.Stages.Editing;
using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Localization;
using Xunit;

namespace KnPipeline.Tests.Editing;

/// <summary>The selections of one edited query, on synthetic attributions whose sets are known by hand.</summary>
public class EditSelectionsTests
{
    private const int Width = 8;
    private const long Seed = 42;

    /// <summary>
    /// Layer 1, units 0–3 and layer 2 unit 5 (flat 13), over three correct training queries: unit 0 is every
    /// query's maximum, unit 1 a steady 0.5, unit 2 high but inconsistent (0.9, 0.9, 0), unit 3 a steady 0.1, and
    /// flat 13 strong in the second query only. A wrong query and a held-out one bring neurons that must not count.
    /// </summary>
    private static FactMethodView View()
    {
        float[] Flat(float n0, float n1, float n2, float n3, float n13, int extra = -1)
        {
            var a = new float[SyntheticAttributions.Layers.Length * Width];
            (a[0], a[1], a[2], a[3], a[13]) = (n0, n1, n2, n3, n13);
            if (extra >= 0)
                a[extra] = 0.9f;
            return a;
        }
        return new FactMethodView(
        [
            SyntheticAttributions.Of("en", 1, Flat(1, 0.5f, 0.9f, 0.1f, 0), width: Width),
            SyntheticAttributions.Of("en", 2, Flat(1, 0.5f, 0.9f, 0.1f, 0.7f), width: Width),
            SyntheticAttributions.Of("en", 3, Flat(1, 0.5f, 0, 0.1f, 0), width: Width),
            SyntheticAttributions.Of("en", 4, Flat(1, 0, 0, 0, 0, extra: 7), rank: 2, width: Width),
            SyntheticAttributions.Of("en", 5, Flat(1, 0, 0, 0, 0, extra: 6), split: TemplateSplits.Heldout,
                width: Width),
        ], Width);
    }

    private static string Edited => SyntheticAttributions.Query("en", 1).QueryId;

    private static Dictionary<string, EditSelection> Build(EditingOptions options, NeuronSet? agnostic = null,
        IReadOnlyDictionary<string, float[]>? activations = null, int minQueries = 2) =>
        new EditSelections(options, knThreshold: 0.2, refinedShare: 0.3, minQueries, Width, Seed)
            .Build(View(), "en", Edited, agnostic ?? NeuronSet.Empty, "edit-1", activations)
            .ToDictionary(s => s.Name);

    private static (int, int)[] Pairs(NeuronSet s) => s.Pairs.ToArray();

    [Fact]
    public void OwnUnionAndRefinedAreTheCoarseSetsInRealLayerIds()
    {
        var s = Build(new EditingOptions());
        Assert.Equal(EditSelections.Names, s.Keys);
        Assert.Equal([(1, 0), (1, 1), (1, 2)], Pairs(s["own"].Set));
        // The union takes the second query's layer-2 neuron, never the wrong or held-out queries' (flat 7, 6).
        Assert.Equal([(1, 0), (1, 1), (1, 2), (2, 5)], Pairs(s["union"].Set));
        Assert.Superset(s["own"].Set.Pairs.ToHashSet(), s["union"].Set.Pairs.ToHashSet());
        // Coarse in 3/3, 3/3, 2/3 and 1/3 > p = 0.3 of the training queries, by descending share.
        Assert.Equal([(1, 0), (1, 1), (1, 2), (2, 5)], Pairs(s["refined"].Set));
        Assert.Empty(s["agnostic"].Set.Pairs);
        // Three training queries are too few when four are needed: the fact is not localized, refined is empty.
        Assert.Empty(Build(new EditingOptions(), minQueries: 4)["refined"].Set.Pairs);
        Assert.Equal(3, Build(new EditingOptions(), minQueries: 4)["own"].Set.Count);
    }

    [Fact]
    public void WithoutTheDeviationTermCasIsTheMeanThresholdAndTheDeviationDropsTheInconsistentNeuron()
    {
        // β₂ = 0: means 1, 0.5, 0.6, 0.1 and 0.233 (flat 13) against 0.2 · 1, by descending mean.
        var plain = Build(new EditingOptions { Beta2 = 0 })["cas"].Set;
        Assert.Equal([(1, 0), (1, 2), (1, 1), (2, 5)], Pairs(plain));
        // β₂ = 1: unit 2 scores 0.6 − 0.424 = 0.176 < 0.2 and flat 13 goes negative; the steady ones stay.
        var aware = Build(new EditingOptions { Beta2 = 1 })["cas"].Set;
        Assert.Equal([(1, 0), (1, 1)], Pairs(aware));
        // Top-k keeps the k best whatever the threshold.
        var top = Build(new EditingOptions { Beta2 = 0, SelectionTopK = 2 })["cas"].Set;
        Assert.Equal([(1, 0), (1, 2)], Pairs(top));
    }

    [Fact]
    public void TheScoreIsBetaOneMeanMinusBetaTwoPopulationDeviation()
    {
        var selections = new EditSelections(new EditingOptions { Beta1 = 2, Beta2 = 0.5 }, 0.2, 0.3, 2, Width, Seed);
        var score = selections.ConsistencyAware([[0.9f, 1], [0.9f, 1], [0f, 1]]);
        Assert.Equal(2 * 0.6 - 0.5 * Math.Sqrt(0.18), score[0], 6);
        Assert.Equal(2.0, score[1], 6);
        Assert.Empty(selections.ConsistencyAware([]));
        // A non-positive maximum selects nothing rather than everything.
        Assert.Empty(selections.Cas([-1, -0.5, 0]));
    }

    [Fact]
    public void TheActivationScoreUsesTheGivenActivations()
    {
        var view = View();
        var activations = view.Train("en").ToDictionary(q => q.QueryId, _ =>
        {
            var a = new float[2 * Width];
            a[9] = 3;
            a[4] = 1;
            return a;
        });
        var cas = Build(new EditingOptions { CasScore = CasScore.Activation }, activations: activations)["cas"].Set;
        Assert.Equal([(2, 1), (1, 4)], Pairs(cas));
        Assert.Throws<ArgumentException>(() => Build(new EditingOptions { CasScore = CasScore.Activation }));
    }

    [Fact]
    public void RandomControlsMatchLayerCountsAreDisjointAndSeeded()
    {
        var agnostic = NeuronSet.Of([(1, 1), (2, 5), (2, 6)]);
        var s = Build(new EditingOptions(), agnostic);
        Assert.Equal(agnostic, s["agnostic"].Set);
        foreach (var (name, selection) in s)
        {
            Assert.Equal(selection.Set.LayerCounts(), selection.Random.LayerCounts());
            Assert.Empty(selection.Set.Pairs.Intersect(selection.Random.Pairs));
            Assert.Equal(selection.Set.Count, selection.Random.Count);
            Assert.Equal(Pairs(selection.Random), Pairs(Build(new EditingOptions(), agnostic)[name].Random));
        }
        // A set holding more than half a layer has no matched control: the empty set stands in.
        var wide = NeuronSet.Of(Enumerable.Range(0, 5).Select(u => (1, u)));
        Assert.Empty(Build(new EditingOptions(), wide)["agnostic"].Random.Pairs);
        Assert.Throws<ArgumentException>(() => new EditSelections(new EditingOptions(), 0.2, 0.3, 2, Width, Seed)
            .Build(View(), "en", SyntheticAttributions.Query("en", 4).QueryId, NeuronSet.Empty, "edit-1"));
    }
}
