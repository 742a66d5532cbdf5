using KnPipeline.Bench;
using Xunit;

namespace KnPipeline.Tests.Bench;

/// <summary>Attribution memory stays flat in the number of queries (each size runs in its own process).</summary>
public class MemoryBenchTests
{
    [Fact]
    public void TenTimesTheQueriesLeaksNoTensorAndPeaksWithinTenPercent()
    {
        var (small, large) = MemoryBench.Run(24, 240);
        // Exact and independent of the allocator: every tensor a batch makes is gone when the next one starts.
        Assert.Equal(0, small.LeakedTensors);
        Assert.Equal(0, large.LeakedTensors);
        Assert.True(small.PeakMb > 50, $"implausible peak {small.PeakMb} MB");
        Assert.True(large.PeakMb <= small.PeakMb * 1.10, $"peak grew from {small.PeakMb:F0} MB (24 queries) to {large.PeakMb:F0} MB (240 queries)");
    }
}
