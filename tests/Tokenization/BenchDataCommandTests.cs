using System.Text.Json;
using KnPipeline.Tests.Data.Support;
using Xunit;

namespace KnPipeline.Tests.Tokenization;

public sealed class BenchDataCommandTests
{
    [Fact]
    public void JsonReportsQueriesThroughputAndPeakMemory()
    {
        var (code, stdout, _) = PipelineProcess.Run("bench", "data", "--queries", "3000", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(["queries", "queries_per_s", "peak_mb"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(3000, doc.RootElement.GetProperty("queries").GetInt64());
        Assert.True(doc.RootElement.GetProperty("queries_per_s").GetDouble() > 0);
        Assert.InRange(doc.RootElement.GetProperty("peak_mb").GetDouble(), 1, 300);
    }

    [Fact]
    public void ANonPositiveQueryCountIsAUsageError()
    {
        var (code, _, stderr) = PipelineProcess.Run("bench", "data", "--queries", "0");
        Assert.Equal(2, code);
        Assert.Contains("--queries", stderr);
    }
}
