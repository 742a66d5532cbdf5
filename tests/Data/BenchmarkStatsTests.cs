using KnPipeline.Stages.Data;
using KnPipeline.Tests.Data.Support;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Data;

public sealed class BenchmarkStatsTests
{
    [Fact]
    public void CountsFactsTemplatesAndQueriesPerLanguageAndRelation()
    {
        using var b = RmlLamaFixture.Create();
        var stats = BenchmarkStats.Compute(new RmlLamaLoader(), b.Root);
        Assert.Equal(new StatsRow(6, 4, 9, 12), stats.Languages["en"]);
        Assert.Equal(new StatsRow(2, 2, 2, 4), stats.Languages["ja"]);
        Assert.Equal(new StatsRow(5, 5, 8, 13), stats.Relations["P19"]);
        Assert.Equal(new StatsRow(3, 1, 3, 3), stats.Relations["P36"]);
        Assert.Equal(new Dictionary<string, long> { ["no_templates"] = 1 }, stats.Quarantined);
    }

    [SharedFact("data/pararel/graphs_json")]
    public void ParaRelTotalsMatchAnIndependentCount()
    {
        var stats = BenchmarkStats.Compute(new ParaRelLoader(), SharedData.Path("data", "pararel"));
        Assert.Equal(new StatsRow(27_610, 329, 181_096, 224_674), stats.Languages["en"]);
        Assert.Equal(39, stats.Relations.Count);
        Assert.Equal("P17", stats.Relations.Keys.First());
        Assert.Equal("P1412", stats.Relations.Keys.Last());
        Assert.Equal(new StatsRow(779, 13, 10_127, 10_127), stats.Relations["P19"]);
        Assert.Equal(new Dictionary<string, long> { ["no_templates"] = 1_801 }, stats.Quarantined);
    }
}
