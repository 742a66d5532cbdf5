using KnPipeline.Stages.Records;

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

    /// <summary>
    /// Facts files in relation-major order: for each relation (the union of file stems, natural order), the file of
    /// every language that has one, in the order given. All languages of a fact then arrive close together.
    /// </summary>
    public static IEnumerable<(string Relation, string Language, string Path)> RelationMajor(
        IReadOnlyList<(string Language, string Folder)> folders, string pattern, Func<string, bool>? isFactsFile = null)
    {
        var relations = folders.SelectMany(f => Files(f.Folder, pattern)).Select(f => f.Stem)
            .Where(stem => isFactsFile?.Invoke(stem) ?? true)
            .Distinct(StringComparer.Ordinal).Order(NaturalComparer.Instance).ToArray();
        foreach (string relation in relations)
            foreach (var (language, folder) in folders)
            {
                string path = Path.Combine(folder, relation + ".jsonl");
                if (File.Exists(path))
                    yield return (relation, language, path);
            }
    }

    /// <summary>
    /// Templates of one language from a file holding several relations, one object a line with
    /// <c>"relation"</c> and the text in <paramref name="textField"/>; template_id = <c>{relation}_{n}</c>, n counting
    /// that relation's lines from 1; split train (these formats have no split).
    /// </summary>
    public static IEnumerable<RawTemplate> CombinedTemplates(string root, string language, string path,
        string textField, IQuarantine quarantine)
    {
        string source = Relative(root, path);
        var ordinal = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in JsonLines.Read(path, source, quarantine))
        {
            if (!line.TryString("relation", "", out string relation))
                continue;
            int n = ordinal[relation] = ordinal.GetValueOrDefault(relation) + 1;
            string id = $"{relation}_{n}";
            if (line.TryString(textField, id, out string text))
                yield return new RawTemplate(relation, language, id, text, TemplateSplits.Train, source, line.Line);
        }
    }
}
