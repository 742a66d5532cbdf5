using KnPipeline.Build;
using Xunit;

namespace KnPipeline.Tests.Build;

public class GlibcxxCompatTests
{
    private static string PackageLibrary()
    {
        string home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                      ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(home, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    [Fact]
    public void PatchMarksOnlyTheMissingVersionWeakOnACopyAndIsIdempotent()
    {
        string original = PackageLibrary();
        Assert.True(File.Exists(original), $"TorchSharp native library not restored at {original}");
        string dir = Directory.CreateTempSubdirectory("glibcxx").FullName;
        try
        {
            string copy = Path.Combine(dir, "libLibTorchSharp.so");
            File.Copy(original, copy);
            byte[] before = File.ReadAllBytes(original);

            var needed = ElfVersioning.NeededVersions(copy);
            var target = Assert.Single(needed, n => n.Name == "GLIBCXX_3.4.32");
            Assert.Equal("libstdc++.so.6", target.File);
            Assert.False(target.IsWeak);

            Assert.True(ElfVersioning.MarkNeededVersionWeak(copy, "GLIBCXX_3.4.32"));
            var after = ElfVersioning.NeededVersions(copy);
            Assert.True(Assert.Single(after, n => n.Name == "GLIBCXX_3.4.32").IsWeak);
            // Every other entry is untouched, and exactly two bytes (one flags field) changed.
            Assert.Equal(needed.Where(n => n.Name != "GLIBCXX_3.4.32").Select(n => (n.Name, n.Flags)),
                         after.Where(n => n.Name != "GLIBCXX_3.4.32").Select(n => (n.Name, n.Flags)));
            byte[] patched = File.ReadAllBytes(copy);
            Assert.Equal(before.Length, patched.Length);
            Assert.InRange(before.Zip(patched).Count(p => p.First != p.Second), 1, 2);

            Assert.False(ElfVersioning.MarkNeededVersionWeak(copy, "GLIBCXX_3.4.32"));
            Assert.Equal(patched, File.ReadAllBytes(copy));
            Assert.Equal(before, File.ReadAllBytes(original));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void TestOutputLibraryIsPatchedExactlyWhenTheSystemLacksTheVersion()
    {
        string std = ElfVersioning.SystemLibStdCxx() ?? throw new InvalidOperationException("no libstdc++ found");
        bool systemHasIt = ElfVersioning.DefinedVersions(std).Contains("GLIBCXX_3.4.32");
        Assert.Contains("GLIBCXX_3.4.30", ElfVersioning.DefinedVersions(std));
        string lib = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        var entry = Assert.Single(ElfVersioning.NeededVersions(lib), n => n.Name == "GLIBCXX_3.4.32");
        Assert.Equal(!systemHasIt, entry.IsWeak);
    }

    [Fact]
    public void TorchSharpLoadsAndDifferentiates()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var x = TorchSharp.torch.tensor(new float[] { 1, 2, 3 }, requires_grad: true);
        var y = (x * x).sum();
        var g = TorchSharp.torch.autograd.grad([y], [x])[0];
        Assert.Equal(new float[] { 2, 4, 6 }, g.data<float>().ToArray());
    }
}
