using System.Security.Cryptography;
using KnPipeline.Stages.Downloads;

namespace KnPipeline.Tests.Downloads;

/// <summary>Serves a dataset's files at the paths its manifest URLs have, as a <c>--mirror</c> would.</summary>
public static class DatasetServer
{
    /// <summary>A handler serving <paramref name="contents"/> (manifest path → bytes) at the manifest's URL paths.</summary>
    public static Func<LoopbackRequest, LoopbackResponse> For(DatasetManifest manifest,
        Func<string, byte[]> contents, bool honourRange = true)
    {
        var byUrlPath = manifest.Files.ToDictionary(f => new Uri(f.Url).AbsolutePath, f => f.Path);
        return r => byUrlPath.TryGetValue(r.Path, out string? path)
            ? LoopbackResponse.Content(contents(path), r, honourRange)
            : LoopbackResponse.NotFound();
    }

    /// <summary>A manifest of synthetic files published under https://example.org/repo/commit/.</summary>
    public static DatasetManifest Manifest(string name, IReadOnlyDictionary<string, byte[]> files) => new()
    {
        Name = name,
        Files = files.Select(kv => new DatasetManifestFile
        {
            Path = kv.Key,
            Url = $"https://example.org/owner/repo/0123abcd/data/{kv.Key}",
            Size = kv.Value.Length,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(kv.Value)),
        }).ToList(),
    };

    public static byte[] Bytes(int size, int seed)
    {
        var b = new byte[size];
        new Random(seed).NextBytes(b);
        return b;
    }
}
