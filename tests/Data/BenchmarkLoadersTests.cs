using KnPipeline.Stages.Data;
using KnPipeline.Tests.Data.Support;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Data;

public sealed class BenchmarkLoadersTests
{
    [Fact]
    public void ThereIsOneLoaderPerFormat()
    {
        Assert.Equal(["pararel", "mpararel", "heng840", "mlama", "rml-lama"], BenchmarkLoaders.Formats);
        Assert.Equal("rml-lama", BenchmarkLoaders.ByFormat("RML-LAMA").Format);
        var e = Assert.Throws<BenchmarkLayoutException>(() => BenchmarkLoaders.ByFormat("lama"));
        Assert.Contains("pararel, mpararel, heng840, mlama, rml-lama", e.Message);
    }

    [Fact]
    public void DetectionFailsClearlyWhenNoneOrSeveralFormatsMatch()
    {
        using var empty = new TempBenchmark().Write("readme.txt", "nothing here");
        Assert.Contains("no known benchmark layout",
            Assert.Throws<BenchmarkLayoutException>(() => BenchmarkLoaders.Detect(empty.Root)).Message);
        using var both = new TempBenchmark()
            .Write("graphs_json/P19.jsonl", """{"pattern": "[X] was born in [Y]."}""")
            .Write("trex_lms_vocab/P19.jsonl", """{"sub_label": "a", "obj_label": "b", "uuid": "u"}""")
            .Write("patterns/en/P19.jsonl", """{"pattern": "[X] was born in [Y]"}""");
        var e = Assert.Throws<BenchmarkLayoutException>(() => BenchmarkLoaders.Detect(both.Root));
        Assert.Contains("pararel, mpararel", e.Message);
        Assert.Contains("--format", e.Message);
        Assert.Equal("mpararel", BenchmarkLoaders.Resolve(both.Root, "mpararel").Loader.Format);
    }

    [Fact]
    public void TheFixturesAndTheSharedCopiesAreDetected()
    {
        using var rml = RmlLamaFixture.Create();
        Assert.Equal("rml-lama", BenchmarkLoaders.Detect(rml.Root).Format);
        if (SharedData.Root == null)
            return;
        foreach (var (folder, format) in new[]
                 {
                     ("pararel", "pararel"), ("mpararel", "mpararel"), ("heng840-multilingual-pararel", "heng840"),
                     ("heng840-multilingual-pararel/my_mlama", "heng840"),
                 })
            if (SharedData.Exists("data/" + folder))
                Assert.Equal(format, BenchmarkLoaders.Detect(SharedData.Path("data", folder)).Format);
    }

    [Fact]
    public void EmbeddedMeansTheBenchmarksDataFolderOfThisRepository()
    {
        string expected = Path.Combine(SharedData.RepoRoot, "benchmarks-data", "embedded");
        Assert.Equal(expected, BenchmarkLoaders.EmbeddedDirectory());
        if (Directory.Exists(expected))
            Assert.Equal("rml-lama", BenchmarkLoaders.Resolve("embedded", null).Loader.Format);
        else
            Assert.Contains(expected,
                Assert.Throws<BenchmarkLayoutException>(() => BenchmarkLoaders.Resolve("embedded", null)).Message);
    }
}
