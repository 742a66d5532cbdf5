using System.Security.Cryptography;
using System.Text;
using KnPipeline.Stages.Downloads;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Downloads;

public sealed class DatasetManifestTests
{
    private static string ManifestDir => Path.Combine(SharedData.RepoRoot, "benchmarks-data", "downloads");

    [Fact]
    public void EveryShippedManifestIsEmbeddedAndValid()
    {
        string[] onDisk = Directory.GetFiles(ManifestDir, "*.json").Select(Path.GetFileNameWithoutExtension).Order()
            .ToArray()!;
        Assert.Equal(["heng840-multilingual-pararel", "mlama", "mpararel", "pararel", "xfactr"], onDisk);
        Assert.Equal(onDisk, DatasetCatalog.Names);
        foreach (string name in onDisk)
        {
            var m = DatasetCatalog.Load(name);
            Assert.Equal(name, m.Name);
            Assert.False(string.IsNullOrEmpty(m.License));
            Assert.False(string.IsNullOrEmpty(m.Homepage));
        }
        Assert.Equal(80, DatasetCatalog.Load("pararel").Files.Count);
        Assert.Equal(2243, DatasetCatalog.Load("mpararel").Files.Count);
        var mlama = Assert.Single(DatasetCatalog.Load("mlama").Files);
        Assert.Equal(("zip", 1, (string?)null), (mlama.Unpack, mlama.StripComponents, mlama.Sha256));
    }

    [SharedFact("data/pararel", "data/mpararel", "data/heng840-multilingual-pararel", "data/xfactr")]
    public void ManifestsListEverySharedFileWithItsSizeAndSha256()
    {
        foreach (string name in new[] { "pararel", "mpararel", "heng840-multilingual-pararel", "xfactr" })
        {
            string root = SharedData.Path("data", name);
            var shared = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
                .Where(p => p != "SOURCE.md").Order(StringComparer.Ordinal).ToArray();
            var manifest = DatasetCatalog.Load(name);
            Assert.Equal(shared, manifest.Files.Select(f => f.Path).Order(StringComparer.Ordinal).ToArray());
            foreach (var f in manifest.Files)
            {
                byte[] bytes = File.ReadAllBytes(Path.Combine(root, f.Path));
                Assert.Equal(bytes.Length, f.Size);
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), f.Sha256);
                Assert.StartsWith($"https://raw.githubusercontent.com/", f.Url);
                Assert.Contains(manifest.Commit!, f.Url);
            }
        }
    }

    [Theory]
    [InlineData("../outside.jsonl")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    [InlineData("a\\b")]
    public void UnsafePathIsRejectedNamingTheEntry(string path)
    {
        string quoted = System.Text.Json.JsonSerializer.Serialize(path);
        string json = $$"""{"name": "x", "files": [{"path": {{quoted}}, "url": "https://e.org/f"}]}""";

        var e = Assert.Throws<InvalidDataException>(() =>
            DatasetManifest.Parse(new MemoryStream(Encoding.UTF8.GetBytes(json)), "test.json"));

        Assert.Contains("test.json: files[0]", e.Message);
    }

    [Fact]
    public void BadHashIsRejected()
    {
        const string json = """{"name": "x", "files": [{"path": "a", "url": "https://e.org/a", "sha256": "xyz"}]}""";

        var e = Assert.Throws<InvalidDataException>(() =>
            DatasetManifest.Parse(new MemoryStream(Encoding.UTF8.GetBytes(json)), "m.json"));

        Assert.Contains("'sha256'", e.Message);
    }

    [Fact]
    public void UnknownDatasetNameListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => DatasetCatalog.Load("nope"));

        Assert.Contains("pararel", e.Message);
        Assert.Contains("mlama", e.Message);
    }
}
