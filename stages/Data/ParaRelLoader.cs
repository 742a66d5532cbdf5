using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Data;

/// <summary>
/// ParaRel (yanaiela/pararel, English). Templates: <c>graphs_json/P*.jsonl</c>, one pattern object a line
/// (<c>{"pattern": "[X] was born in [Y].", "lemma": ...}</c>). Facts: <c>trex_lms_vocab/P*.jsonl</c>
/// (<c>{"sub_label", "obj_label", "uuid"}</c>). Reads the flat copy (<c>{graphs_json,trex_lms_vocab}</c>) and the
/// repository layout (<c>data/pattern_data/graphs_json</c>, <c>data/trex_lms_vocab</c>).
/// fact_id = uuid; template_id = <c>{relation}_{line}</c>; every template is in the train split.
/// </summary>
public sealed class ParaRelLoader : IBenchmarkLoader
{
    public const string Language = "en";

    public string Format => "pararel";

    public bool Matches(string directory) => Layout(directory) != null;

    public BenchmarkSource Open(string directory, IQuarantine quarantine)
    {
        var (templatesDir, factsDir) = Layout(directory) ?? throw new BenchmarkLayoutException(
            $"{directory} is not a ParaRel folder: expected graphs_json/ and trex_lms_vocab/ " +
            "(or data/pattern_data/graphs_json/ and data/trex_lms_vocab/)");
        return new BenchmarkSource(Format, directory, [LanguageInfo.FromCode(Language)], null,
            ReadTemplates(directory, templatesDir, quarantine),
            (q, _) => ReadFacts(directory, factsDir, q), quarantine);
    }

    private static (string Templates, string Facts)? Layout(string dir)
    {
        (string, string)[] candidates =
        [
            (Path.Combine(dir, "graphs_json"), Path.Combine(dir, "trex_lms_vocab")),
            (Path.Combine(dir, "data", "pattern_data", "graphs_json"), Path.Combine(dir, "data", "trex_lms_vocab")),
        ];
        foreach (var (t, f) in candidates)
            if (Directory.Exists(t) && Directory.Exists(f))
                return (t, f);
        return null;
    }

    private static IEnumerable<RawTemplate> ReadTemplates(string root, string dir, IQuarantine quarantine)
    {
        foreach (var (relation, path) in LoaderFiles.Files(dir, "P*.jsonl"))
        {
            string source = LoaderFiles.Relative(root, path);
            foreach (var line in JsonLines.Read(path, source, quarantine))
            {
                string id = $"{relation}_{line.Line}";
                if (line.TryString("pattern", id, out string text))
                    yield return new RawTemplate(relation, Language, id, text, TemplateSplits.Train, source, line.Line);
            }
        }
    }

    private static IEnumerable<RawFact> ReadFacts(string root, string dir, IQuarantine quarantine)
    {
        foreach (var (relation, path) in LoaderFiles.Files(dir, "P*.jsonl"))
        {
            string source = LoaderFiles.Relative(root, path);
            foreach (var line in JsonLines.Read(path, source, quarantine))
            {
                if (line.TryString("uuid", "", out string id) && line.TryString("sub_label", id, out string subject) &&
                    line.TryString("obj_label", id, out string obj))
                    yield return new RawFact(id, relation, Language, subject, obj, [], source, line.Line);
            }
        }
    }
}
