using KnPipeline.Stages.Data;
using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Records;
using KnPipeline.Stages.Tokenization;
using KnPipeline.Tests.Data.Support;
using Xunit;

namespace KnPipeline.Tests.Tokenization;

public sealed class DataThroughputBenchTests
{
    [Fact]
    public async Task WritesExactlyTheRequestedNumberOfTokenizedQueries()
    {
        using var dir = new TempBenchmark();
        foreach (var kind in new[] { ModelKind.Causal, ModelKind.Masked })
        {
            string path = dir.PathOf($"{kind}.parquet");
            var r = await DataThroughputBench.RunAsync(2_500, kind, path);
            Assert.Equal(2_500, r.Queries);
            Assert.True(r.QueriesPerSecond > 0);
            Assert.True(r.PeakMb > 0);
            long rows = 0;
            await foreach (var group in PartReader.ReadRowGroupsAsync(path, TokenizedQueryRecordSchema.Instance))
                rows += group.Length;
            Assert.Equal(2_500, rows);
        }
    }

    [Fact]
    public void TheSyntheticBenchmarkIsDeterministicAndHasObjectFirstTemplates()
    {
        var a = new SyntheticBenchmark();
        Assert.Equal(8 * 20 * 8, a.Templates.Count);
        Assert.Equal(8 * 20, a.Templates.Count(t => !t.SubjectFirst));
        Assert.Equal(8 * 20 * 2, a.Templates.Count(t => t.Split == TemplateSplits.Heldout));
        Assert.Equal(a.Facts().Take(50), new SyntheticBenchmark().Facts().Take(50), new FactComparer());
        Assert.Equal(8, a.Facts().Take(8).Select(f => f.Language).Distinct().Count());
        Assert.Single(a.Facts().Take(8).Select(f => f.FactId).Distinct());
    }

    private sealed class FactComparer : IEqualityComparer<FactRecord>
    {
        public bool Equals(FactRecord? x, FactRecord? y) =>
            x!.FactId == y!.FactId && x.Language == y.Language && x.Subject == y.Subject && x.Object == y.Object;

        public int GetHashCode(FactRecord obj) => obj.FactId.GetHashCode();
    }
}
