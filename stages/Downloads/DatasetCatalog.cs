using System.Reflection;

namespace KnPipeline.Stages.Downloads;

/// <summary>
/// The dataset manifests shipped with the pipeline: <c>benchmarks-data/downloads/*.json</c>, embedded in this assembly
/// as <c>downloads/&lt;name&gt;.json</c>, so a published binary needs no repository checkout.
/// </summary>
public static class DatasetCatalog
{
    private const string Prefix = "downloads/";
    private const string Suffix = ".json";

    /// <summary>The names that <see cref="Load"/> knows, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(DatasetCatalog).Assembly.GetManifestResourceNames()
        .Where(r => r.StartsWith(Prefix, StringComparison.Ordinal) && r.EndsWith(Suffix, StringComparison.Ordinal))
        .Select(r => r[Prefix.Length..^Suffix.Length])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>A shipped manifest by name, or any manifest file by path (a name ending in .json that exists).</summary>
    /// <exception cref="ArgumentException">Neither a known name nor an existing .json file; the message lists the
    /// known names.</exception>
    public static DatasetManifest Load(string nameOrPath)
    {
        if (nameOrPath.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase) && File.Exists(nameOrPath))
            return DatasetManifest.Load(nameOrPath);
        string resource = Prefix + nameOrPath + Suffix;
        using Stream? stream = typeof(DatasetCatalog).Assembly.GetManifestResourceStream(resource);
        if (stream == null)
            throw new ArgumentException(
                $"unknown dataset '{nameOrPath}': known datasets are {string.Join(", ", Names)} " +
                "(or give the path of a manifest .json file)");
        var manifest = DatasetManifest.Parse(stream, $"embedded manifest {resource}");
        if (manifest.Name != nameOrPath)
            throw new InvalidDataException($"embedded manifest {resource}: key 'name' is '{manifest.Name}'");
        return manifest;
    }
}
