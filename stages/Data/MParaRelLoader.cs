using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Data;

/// <summary>
/// mParaRel (coastalcph/mpararel, reviewed data). Templates: <c>patterns/&lt;lang&gt;/P*.jsonl</c>
/// (<c>{"pattern", "checked-by-human"}</c>). Facts: <c>tuples/&lt;lang&gt;/P*.jsonl</c>
/// (<c>{"sub_uri", "obj_uri", "obj_label", "sub_label", "lineid"}</c>). Every language folder present is read,
/// whether it has patterns, tuples or both. fact_id = <c>{relation}/{lineid}</c>, which is the same fact in every
/// language (inherited from mLAMA); template_id = <c>{relation}_{line}</c>; every template is in the train split.
/// Facts are streamed relation by relation, all languages of a relation together.
/// </summary>
public sealed class MParaRelLoader : IBenchmarkLoader
{
    public string Format => "mpararel";

    public bool Matches(string directory) =>
        Directory.Exists(Path.Combine(directory, "patterns")) &&
        LoaderFiles.Subfolders(Path.Combine(directory, "patterns"))
            .Any(l => LoaderFiles.Files(Path.Combine(directory, "patterns", l), "P*.jsonl").Count > 0);

    public BenchmarkSource Open(string directory, IQuarantine quarantine)
    {
        if (!Matches(directory))
            throw new BenchmarkLayoutException(
                $"{directory} is not an mParaRel folder: expected patterns/<lang>/P*.jsonl (and tuples/<lang>/P*.jsonl)");
        string patterns = Path.Combine(directory, "patterns"), tuples = Path.Combine(directory, "tuples");
        var folders = LoaderFiles.Subfolders(patterns).Concat(LoaderFiles.Subfolders(tuples))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return new BenchmarkSource(Format, directory, LoaderFiles.LanguagesFromFolders(folders), null,
            ReadTemplates(directory, patterns, quarantine),
            (q, _) => ReadFacts(directory, tuples, q), quarantine);
    }

    private static IEnumerable<RawTemplate> ReadTemplates(string root, string dir, IQuarantine quarantine)
    {
        foreach (string language in LoaderFiles.Subfolders(dir))
            foreach (var (relation, path) in LoaderFiles.Files(Path.Combine(dir, language), "P*.jsonl"))
            {
                string source = LoaderFiles.Relative(root, path);
                foreach (var line in JsonLines.Read(path, source, quarantine))
                {
                    string id = $"{relation}_{line.Line}";
                    if (line.TryString("pattern", id, out string text))
                        yield return new RawTemplate(relation, language, id, text, TemplateSplits.Train, source,
                            line.Line);
                }
            }
    }

    private static IEnumerable<RawFact> ReadFacts(string root, string dir, IQuarantine quarantine)
    {
        var folders = LoaderFiles.Subfolders(dir).Select(l => (l, Path.Combine(dir, l))).ToList();
        foreach (var (relation, language, path) in LoaderFiles.RelationMajor(folders, "P*.jsonl"))
        {
            string source = LoaderFiles.Relative(root, path);
            foreach (var line in JsonLines.Read(path, source, quarantine))
            {
                if (!line.TryId("lineid", "", out string lineId))
                    continue;
                string id = $"{relation}/{lineId}";
                if (line.TryString("sub_label", id, out string subject) &&
                    line.TryString("obj_label", id, out string obj))
                    yield return new RawFact(id, relation, language, subject, obj, [], source, line.Line);
            }
        }
    }
}
