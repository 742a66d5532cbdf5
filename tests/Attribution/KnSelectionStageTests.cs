using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Records;
using Xunit;

namespace KnPipeline.Tests.Attribution;

public class KnSelectionStageTests
{
    private static readonly TokenizedQueryRecord Query = new("P36-001|fr|P36-fr-2", "P36-001", "P36", "fr",
        "P36-fr-2", "heldout", "m", [1, 2, 3], [], [2], [7], 1, 0);

    // Two layers of four units; the query's maximum is 0.8 (layer 1, unit 2).
    private static readonly QueryAttribution Result = new("P36-001|fr|P36-fr-2", 0.6, 0.55, -0.6, 0,
    [
        new LayerAttribution(0, 0.1, 0.5, 0.01, [0.1f, 0.3f, -0.2f, 0.3f]),
        new LayerAttribution(1, 0.2, 0.9, -0.02, [0.05f, 0.2f, 0.8f, 0.15f]),
    ]);

    [Fact]
    public void RecordsCarryTheTemplateIdTopKPerLayerAndTheNeuronsAboveThreshold()
    {
        var (attributions, knSets) = new KnSelectionStage(0.2, 2, keepFull: true, ffnWidth: 4)
            .Run([new MethodAttribution(Query, AttributionMethod.DatasetMean, Result)]);
        var a = Assert.Single(attributions);
        Assert.Equal("dataset-mean", a.Method);
        Assert.Equal(("P36-fr-2", "heldout", 0.6, 0.55, 4), (a.TemplateId, a.Split, a.FA, a.TargetProb, a.FfnWidth));
        Assert.Equal([0, 1], a.Layers);
        Assert.Equal([0.01, -0.02], a.LayerGap);
        // Top 2 per layer, ties broken by the lower unit: layer 0 has 0.3 at units 1 and 3.
        Assert.Equal([0, 0, 1, 1], a.TopLayer);
        Assert.Equal([1, 3, 2, 1], a.TopUnit);
        Assert.Equal([0.1f, 0.3f, -0.2f, 0.3f, 0.05f, 0.2f, 0.8f, 0.15f], a.Attributions);

        var k = Assert.Single(knSets);
        Assert.Equal("dataset-mean", k.Method);
        Assert.Equal(("P36-001|fr|P36-fr-2", "P36-fr-2", 0.2), (k.QueryId, k.TemplateId, k.Threshold));
        Assert.Equal(0.8, k.MaxScore, 6);
        // Above 0.2 · 0.8 = 0.16, in descending score order.
        Assert.Equal([1, 0, 0, 1], k.Layer);
        Assert.Equal([2, 1, 3, 1], k.Unit);
    }

    [Fact]
    public void WithoutKeepFullTheVectorsAreLeftOutButTheTopListsStay()
    {
        var a = new KnSelectionStage(0.2, 1, keepFull: false, ffnWidth: 4).ToAttribution(Query, Result);
        Assert.Empty(a.Attributions);
        Assert.Equal([1, 2], a.TopUnit);
    }
}
