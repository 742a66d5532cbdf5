using System.Security.Cryptography;
using System.Text;
using KnPipeline.Stages.Models;
using KnPipeline.Tests.Downloads;
using Xunit;

namespace KnPipeline.Tests.Models;

public sealed class LinkedFilesTests
{
    private static readonly byte[] Weights = [.. Enumerable.Repeat(Enumerable.Range(0, 256).Select(i => (byte)i), 4)
        .SelectMany(b => b)];

    [Fact]
    public void LengthAndPathAreThoseOfTheFileAtTheEndOfRelativeAbsoluteAndChainedLinks()
    {
        using var dir = new TempDirectory();
        string blob = dir.Combine("blobs", "0123abcd");
        Directory.CreateDirectory(dir.Combine("blobs"));
        Directory.CreateDirectory(dir.Combine("snap"));
        File.WriteAllBytes(blob, Weights);
        string relative = dir.Combine("snap", "relative.safetensors");
        string absolute = dir.Combine("snap", "absolute.safetensors");
        string chained = dir.Combine("chained.safetensors");
        File.CreateSymbolicLink(relative, "../blobs/0123abcd");
        File.CreateSymbolicLink(absolute, blob);
        File.CreateSymbolicLink(chained, "snap/relative.safetensors");

        // The trap itself: FileInfo measures the link text ("../blobs/0123abcd" is 17 bytes), not the file.
        Assert.Equal(17, new FileInfo(relative).Length);
        foreach (string path in new[] { blob, relative, absolute, chained })
        {
            Assert.Equal(1024, LinkedFiles.Length(path));
            Assert.Equal(blob, LinkedFiles.ResolvedPath(path));
            Assert.True(LinkedFiles.Exists(path));
            Assert.False(LinkedFiles.IsDangling(path));
        }
    }

    [Fact]
    public void DanglingLinkIsNamedWithItsTarget()
    {
        using var dir = new TempDirectory();
        string link = dir.Combine("model.safetensors");
        File.CreateSymbolicLink(link, "../../blobs/deleted");

        Assert.True(File.Exists(link));  // why File.Exists cannot be used for these checks
        Assert.False(LinkedFiles.Exists(link));
        Assert.True(LinkedFiles.IsDangling(link));
        Assert.False(LinkedFiles.IsDangling(dir.Combine("absent")));
        var e = Assert.Throws<FileNotFoundException>(() => LinkedFiles.Length(link));
        Assert.Contains(link, e.Message);
        Assert.Contains("../../blobs/deleted", e.Message);
        Assert.Null(LinkedFiles.Target(dir.Combine("absent")));
    }

    [Fact]
    public void LoopOfLinksLeadsNowhere()
    {
        using var dir = new TempDirectory();
        File.CreateSymbolicLink(dir.Combine("a"), "b");
        File.CreateSymbolicLink(dir.Combine("b"), "a");

        Assert.Null(LinkedFiles.Target(dir.Combine("a")));
        Assert.True(LinkedFiles.IsDangling(dir.Combine("a")));
    }

    [Fact]
    public void Sha256IsTheRunManifestHashWhetherFilesAreLinksOrNot()
    {
        using var dir = new TempDirectory();
        string plain = dir.Combine("plain"), linked = dir.Combine("linked");
        Directory.CreateDirectory(plain);
        Directory.CreateDirectory(linked);
        Directory.CreateDirectory(dir.Combine("blobs"));
        File.WriteAllText(Path.Combine(plain, "config.json"), """{"a": 1}""");
        File.WriteAllBytes(Path.Combine(plain, "model.safetensors"), Weights);
        foreach (string name in new[] { "config.json", "model.safetensors" })
        {
            // Blobs named otherwise, and in the opposite order, as in a Hub cache: the hash must use the links' names.
            string blob = dir.Combine("blobs", name == "config.json" ? "ff" : "00");
            File.Copy(Path.Combine(plain, name), blob);
            File.CreateSymbolicLink(Path.Combine(linked, name), Path.Combine("..", "blobs", Path.GetFileName(blob)));
        }
        string[] Files(string d) =>
            [Path.Combine(d, "model.safetensors"), Path.Combine(d, "config.json"), Path.Combine(d, "tokenizer.json")];

        // sha256(b'config.json{"a": 1}model.safetensors' + bytes(range(256)) * 4), computed in Python.
        const string Expected = "20943d9aef2c5bda4f27273488572eaed9ba1cad4f95bb8261480e39cdc3674d";
        Assert.Equal(Expected, ManifestHashBeforeLinks(Files(plain)));
        Assert.Equal(Expected, LinkedFiles.Sha256(Files(plain)));
        Assert.Equal(Expected, LinkedFiles.Sha256(Files(linked)));
    }

    [Fact]
    public void Sha256RefusesADanglingLinkRatherThanSkipIt()
    {
        using var dir = new TempDirectory();
        File.CreateSymbolicLink(dir.Combine("model.safetensors"), "../blobs/deleted");

        var e = Assert.Throws<FileNotFoundException>(() => LinkedFiles.Sha256([dir.Combine("model.safetensors")]));
        Assert.Contains("../blobs/deleted", e.Message);
    }

    /// <summary>PipelineRun.Manifest's weights hash as it was written before this helper, kept verbatim as the
    /// reference the helper must match so existing run manifests keep their hashes.</summary>
    private static string ManifestHashBeforeLinks(IEnumerable<string> files)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var f in files.Where(File.Exists).Order(StringComparer.Ordinal))
        {
            h.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(f)));
            using var s = File.OpenRead(f);
            var buffer = new byte[1 << 20];
            int n;
            while ((n = s.Read(buffer)) > 0)
                h.AppendData(buffer, 0, n);
        }
        return Convert.ToHexString(h.GetHashAndReset()).ToLowerInvariant();
    }
}
