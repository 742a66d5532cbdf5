namespace KnPipeline.Stages.Training;

/// <summary>
/// Where the embedded model's files live. A relative <c>embedded_model.cache_dir</c> resolves against the repository
/// root (the first folder at or above the current directory holding Pipeline.sln) when the pipeline runs from inside
/// the repository, and against the current directory otherwise. The embedded benchmark's
/// folder is found by <see cref="Data.BenchmarkLoaders.EmbeddedDirectory"/>.
/// </summary>
public static class RepoPaths
{
    public const string SolutionFile = "Pipeline.sln";

    /// <summary>The first folder at or above <paramref name="start"/> holding Pipeline.sln, or null.</summary>
    public static string? FindRepoRoot(string start)
    {
        for (var d = new DirectoryInfo(Path.GetFullPath(start)); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, SolutionFile)))
                return d.FullName;
        return null;
    }

    /// <summary>The absolute cache folder for <paramref name="cacheDir"/> (see the class remarks).</summary>
    public static string ResolveCacheDir(string cacheDir, string? currentDirectory = null)
    {
        string cwd = currentDirectory ?? Directory.GetCurrentDirectory();
        if (Path.IsPathRooted(cacheDir))
            return Path.GetFullPath(cacheDir);
        return Path.GetFullPath(Path.Combine(FindRepoRoot(cwd) ?? cwd, cacheDir));
    }
}
