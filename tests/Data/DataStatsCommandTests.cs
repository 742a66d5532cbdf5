using System.Text.Json;
using KnPipeline.Tests.Data.Support;
using Xunit;

namespace KnPipeline.Tests.Data;

public sealed class DataStatsCommandTests
{
    [Fact]
    public void JsonIsOneObjectWithTheContractKeysAndTheFixtureCounts()
    {
        using var b = RmlLamaFixture.Create();
        var (code, stdout, _) = PipelineProcess.Run("data", "stats", b.Root, "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(["languages", "relations", "quarantined"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["facts", "templates", "queries_causal", "queries_masked"],
            root.GetProperty("languages").GetProperty("en").EnumerateObject().Select(p => p.Name));
        Assert.Equal([6, 4, 9, 12], Counts(root, "languages", "en"));
        Assert.Equal([2, 2, 2, 4], Counts(root, "languages", "ja"));
        Assert.Equal([5, 5, 8, 13], Counts(root, "relations", "P19"));
        Assert.Equal([3, 1, 3, 3], Counts(root, "relations", "P36"));
        Assert.Equal(1, root.GetProperty("quarantined").GetProperty("no_templates").GetInt64());
    }

    [Fact]
    public void HumanOutputIsAlignedTables()
    {
        using var b = RmlLamaFixture.Create();
        var (code, stdout, stderr) = PipelineProcess.Run("data", "stats", b.Root, "--format", "rml-lama");
        Assert.Equal(0, code);
        Assert.Contains("as rml-lama", stderr);
        var lines = stdout.Split('\n');
        Assert.Contains("language  facts  templates  queries_causal  queries_masked", lines);
        Assert.Contains("en            6          4               9              12", lines);
        Assert.Contains("total         8          6              11              16", lines);
        Assert.Contains("no_templates      1", lines);
    }

    [Fact]
    public void AFolderOfNoKnownLayoutIsAUsageError()
    {
        using var b = new TempBenchmark().Write("notes.txt", "x");
        var (code, stdout, stderr) = PipelineProcess.Run("data", "stats", b.Root);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains("--format", stderr);
    }

    private static long[] Counts(JsonElement root, string table, string key)
    {
        var row = root.GetProperty(table).GetProperty(key);
        return new[] { "facts", "templates", "queries_causal", "queries_masked" }.Select(n => row.GetProperty(n).GetInt64()).ToArray();
    }
}
