using KnPipeline.Bench;
using Xunit;

namespace KnPipeline.Tests.Bench;

/// <summary>Attribution memory stays flat in the number of queries (each size runs in its own process).</summary>
public class MemoryBenchTests
{
    [Fact]
    public void TenTimesTheQueriesPeaksWithinTenPercent()
    {
        var (small, large) = MemoryBench.Run(24, 240);
        Assert.True(small > 50, $"implausible peak {small} MB");
        Assert.True(large <= small * 1.10, $"peak grew from {small:F0} MB (24 queries) to {large:F0} MB (240 queries)");
    }
}
