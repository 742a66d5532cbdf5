namespace KnPipeline.Stages.Data;

/// <summary>
/// The format registry: every loader, lookup by format name, layout auto-detection, and the name
/// <c>embedded</c>, which means <c>&lt;repo&gt;/benchmarks-data/embedded</c>. The embedded benchmark is read from
/// that folder of the source tree (found by walking up from the executable to the folder holding
/// <c>Pipeline.sln</c>); nothing is embedded in the assembly, so the path is the single copy of the data.
/// </summary>
public static class BenchmarkLoaders
{
    public const string EmbeddedName = "embedded";

    /// <summary>Every loader, one per format.</summary>
    public static IReadOnlyList<IBenchmarkLoader> All { get; } =
        [new ParaRelLoader(), new MParaRelLoader(), new Heng840Loader(), new MLamaLoader(), new RmlLamaLoader()];

    /// <summary>The format names, in registry order.</summary>
    public static IReadOnlyList<string> Formats { get; } = All.Select(l => l.Format).ToArray();

    /// <summary>The loader of a format name (case-insensitive).</summary>
    /// <exception cref="BenchmarkLayoutException">No such format; the message lists the known ones.</exception>
    public static IBenchmarkLoader ByFormat(string format) =>
        All.FirstOrDefault(l => string.Equals(l.Format, format, StringComparison.OrdinalIgnoreCase))
        ?? throw new BenchmarkLayoutException(
            $"unknown benchmark format '{format}'; known formats: {string.Join(", ", Formats)}");

    /// <summary>The one loader whose layout the folder has.</summary>
    /// <exception cref="BenchmarkLayoutException">No loader or several loaders match.</exception>
    public static IBenchmarkLoader Detect(string directory)
    {
        if (!Directory.Exists(directory))
            throw new BenchmarkLayoutException($"benchmark folder {directory} does not exist");
        var matches = All.Where(l => l.Matches(directory)).ToArray();
        return matches.Length switch
        {
            1 => matches[0],
            0 => throw new BenchmarkLayoutException(
                $"{directory} has no known benchmark layout ({string.Join(", ", Formats)}); pass --format"),
            _ => throw new BenchmarkLayoutException(
                $"{directory} matches several formats ({string.Join(", ", matches.Select(m => m.Format))}); " +
                "pass --format to choose one"),
        };
    }

    /// <summary>
    /// Resolves a folder or the name <c>embedded</c> and a format (null: rml-lama for embedded, else detected).
    /// </summary>
    public static (string Directory, IBenchmarkLoader Loader) Resolve(string nameOrDirectory, string? format)
    {
        bool embedded = string.Equals(nameOrDirectory, EmbeddedName, StringComparison.OrdinalIgnoreCase) &&
                        !Directory.Exists(nameOrDirectory);
        string dir = embedded ? EmbeddedDirectory() : Path.GetFullPath(nameOrDirectory);
        if (!Directory.Exists(dir))
            throw new BenchmarkLayoutException($"benchmark folder {dir} does not exist");
        if (format != null)
            return (dir, ByFormat(format));
        return (dir, embedded ? ByFormat("rml-lama") : Detect(dir));
    }

    /// <summary><c>&lt;repo&gt;/benchmarks-data/embedded</c>, the repo being the first folder above the executable holding Pipeline.sln.</summary>
    /// <exception cref="BenchmarkLayoutException">No Pipeline.sln above the executable.</exception>
    public static string EmbeddedDirectory()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Pipeline.sln")))
                return Path.Combine(d.FullName, "benchmarks-data", "embedded");
        throw new BenchmarkLayoutException(
            $"the embedded benchmark lives in <repo>/benchmarks-data/embedded, but no Pipeline.sln was found above " +
            $"{AppContext.BaseDirectory}; pass the benchmark folder instead");
    }
}
