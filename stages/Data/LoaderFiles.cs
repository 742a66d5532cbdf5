namespace KnPipeline.Stages.Data;

/// <summary>File-system helpers shared by the format loaders: sorted listings and quarantine-friendly names.</summary>
public static class LoaderFiles
{
    /// <summary>The files matching <paramref name="pattern"/> in <paramref name="directory"/> as (stem, path), in natural order of stem.</summary>
    public static IReadOnlyList<(string Stem, string Path)> Files(string directory, string pattern) =>
        !Directory.Exists(directory)
            ? []
            : Directory.EnumerateFiles(directory, pattern)
                .Select(p => (Stem: Path.GetFileNameWithoutExtension(p), Path: p))
                .OrderBy(f => f.Stem, NaturalComparer.Instance)
                .ToArray();

    /// <summary>The subfolder names of <paramref name="directory"/>, sorted ordinally (empty when it does not exist).</summary>
    public static IReadOnlyList<string> Subfolders(string directory) =>
        !Directory.Exists(directory)
            ? []
            : Directory.EnumerateDirectories(directory).Select(Path.GetFileName).OfType<string>()
                .Order(StringComparer.Ordinal).ToArray();

    /// <summary>The path relative to the benchmark root with '/' separators: how quarantine records name files.</summary>
    public static string Relative(string root, string path) =>
        Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>The languages among folder names: those shaped like a language code (<see cref="LanguageCatalog.LooksLikeCode"/>).</summary>
    public static IEnumerable<LanguageInfo> LanguagesFromFolders(IEnumerable<string> folders) =>
        folders.Where(LanguageCatalog.LooksLikeCode).Distinct(StringComparer.Ordinal).Select(LanguageInfo.FromCode);
}
