using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Data;

/// <summary>
/// mLAMA (mlama1.1). Per language folder <c>&lt;lang&gt;/</c>: <c>templates.jsonl</c>, one line a relation
/// (<c>{"relation": "P19", "template": "[X] was born in [Y] .", "label": ..., ...}</c>), and one facts file per
/// relation, <c>&lt;relation&gt;.jsonl</c> (<c>{"sub_label", "obj_label", "uuid", "lineid", ...}</c>; Google-RE
/// relations such as <c>place_of_birth.jsonl</c> too). The folder may be <c>mlama1.1</c> itself or one holding it.
/// fact_id = uuid (or <c>{relation}/{lineid}</c> when a line has no uuid); template_id = <c>{relation}_{n}</c>,
/// n counting that relation's lines; split train. Facts stream relation by relation, all languages together.
/// </summary>
public sealed class MLamaLoader : IBenchmarkLoader
{
    private const string TemplatesFile = "templates.jsonl";

    public string Format => "mlama";

    public bool Matches(string directory) => LanguageFolders(directory).Count > 0;

    public BenchmarkSource Open(string directory, IQuarantine quarantine)
    {
        var folders = LanguageFolders(directory);
        if (folders.Count == 0)
            throw new BenchmarkLayoutException(
                $"{directory} is not an mLAMA folder: expected mlama1.1/<lang>/{TemplatesFile} or <lang>/{TemplatesFile}");
        return new BenchmarkSource(Format, directory, LoaderFiles.LanguagesFromFolders(folders.Select(f => f.Language)),
            null, ReadTemplates(directory, folders, quarantine), (q, _) => ReadFacts(directory, folders, q),
            quarantine);
    }

    private static List<(string Language, string Path)> LanguageFolders(string dir)
    {
        string root = Directory.Exists(Path.Combine(dir, "mlama1.1")) ? Path.Combine(dir, "mlama1.1") : dir;
        return LoaderFiles.Subfolders(root)
            .Select(l => (Language: l, Path: Path.Combine(root, l)))
            .Where(f => File.Exists(Path.Combine(f.Path, TemplatesFile)))
            .ToList();
    }

    private static IEnumerable<RawTemplate> ReadTemplates(string root, List<(string Language, string Path)> folders,
        IQuarantine quarantine) =>
        folders.SelectMany(f =>
            LoaderFiles.CombinedTemplates(root, f.Language, Path.Combine(f.Path, TemplatesFile), "template", quarantine));

    private static IEnumerable<RawFact> ReadFacts(string root, List<(string Language, string Path)> folders,
        IQuarantine quarantine)
    {
        foreach (var (relation, language, path) in
                 LoaderFiles.RelationMajor(folders, "*.jsonl", stem => stem + ".jsonl" != TemplatesFile))
        {
            string source = LoaderFiles.Relative(root, path);
            foreach (var line in JsonLines.Read(path, source, quarantine))
            {
                string id;
                if (line.Has("uuid"))
                {
                    if (!line.TryString("uuid", "", out id))
                        continue;
                }
                else if (line.Has("lineid"))
                {
                    if (!line.TryId("lineid", "", out string lineId))
                        continue;
                    id = $"{relation}/{lineId}";
                }
                else
                {
                    line.Reject(QuarantineReasons.MissingField, "neither 'uuid' nor 'lineid' is present");
                    continue;
                }
                if (line.TryString("sub_label", id, out string subject) &&
                    line.TryString("obj_label", id, out string obj))
                    yield return new RawFact(id, relation, language, subject, obj, [], source, line.Line);
            }
        }
    }
}
