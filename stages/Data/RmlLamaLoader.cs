using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Data;

/// <summary>
/// RML-LAMA's record shape, which the embedded benchmark uses:
/// <list type="bullet">
/// <item><c>languages.jsonl</c> (required): <c>{"language", "name", "family", "script", "spaces": bool}</c>;</item>
/// <item><c>relations.jsonl</c> (optional; when present, other relations are quarantined):
/// <c>{"relation", "name", ...}</c>;</item>
/// <item><c>facts/&lt;lang&gt;.jsonl</c>: <c>{"fact_id", "relation", "subject", "object", "aliases": [...],
/// "split": "train"|"heldout-language"}</c> (split optional, train when absent);</item>
/// <item><c>templates/&lt;lang&gt;.jsonl</c>: <c>{"relation", "template_id", "text",
/// "split": "train"|"heldout"}</c>.</item>
/// </list>
/// The language of a record is its file's name. Facts stream language by language, in file order.
/// </summary>
public sealed class RmlLamaLoader : IBenchmarkLoader
{
    public const string LanguagesFile = "languages.jsonl";
    public const string RelationsFile = "relations.jsonl";

    public string Format => "rml-lama";

    public bool Matches(string directory) =>
        File.Exists(Path.Combine(directory, LanguagesFile)) &&
        (Directory.Exists(Path.Combine(directory, "facts")) || Directory.Exists(Path.Combine(directory, "templates")));

    public BenchmarkSource Open(string directory, IQuarantine quarantine)
    {
        if (!Matches(directory))
            throw new BenchmarkLayoutException(
                $"{directory} is not an RML-LAMA folder: expected {LanguagesFile} and facts/<lang>.jsonl, " +
                "templates/<lang>.jsonl");
        var languages = ReadLanguages(directory, quarantine);
        var relations = File.Exists(Path.Combine(directory, RelationsFile))
            ? ReadRelations(directory, quarantine)
            : null;
        return new BenchmarkSource(Format, directory, languages, relations,
            ReadTemplates(directory, quarantine), (q, _) => ReadFacts(directory, q), quarantine);
    }

    private static List<LanguageInfo> ReadLanguages(string root, IQuarantine quarantine)
    {
        var list = new List<LanguageInfo>();
        string path = Path.Combine(root, LanguagesFile);
        foreach (var line in JsonLines.Read(path, LanguagesFile, quarantine))
        {
            if (!line.TryString("language", "", out string code))
                continue;
            if (!LanguageCatalog.LooksLikeCode(code) || list.Any(l => l.Code == code))
            {
                line.Reject(QuarantineReasons.BadDeclaration,
                    list.Any(l => l.Code == code)
                        ? $"language '{code}' is declared twice"
                        : $"'{code}' is not a language code",
                    code);
                continue;
            }
            if (line.TryOptionalString("name", code, code, out string name) &&
                line.TryOptionalString("family", code, "", out string family) &&
                line.TryOptionalString("script", code, "", out string script) &&
                line.TryOptionalBool("spaces", code, LanguageCatalog.UsesSpaces(code), out bool spaces))
                list.Add(new LanguageInfo(code, name, family, script, spaces));
        }
        return list;
    }

    private static HashSet<string> ReadRelations(string root, IQuarantine quarantine)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in JsonLines.Read(Path.Combine(root, RelationsFile), RelationsFile, quarantine))
            if (line.TryString("relation", "", out string relation))
            {
                if (relation.Trim().Length == 0 || !set.Add(relation))
                    line.Reject(QuarantineReasons.BadDeclaration,
                        relation.Trim().Length == 0
                            ? "the relation is empty"
                            : $"relation '{relation}' is declared twice",
                        relation);
            }
        return set;
    }

    private static IEnumerable<RawTemplate> ReadTemplates(string root, IQuarantine quarantine)
    {
        foreach (var (language, path) in LoaderFiles.Files(Path.Combine(root, "templates"), "*.jsonl"))
        {
            string source = LoaderFiles.Relative(root, path);
            foreach (var line in JsonLines.Read(path, source, quarantine))
            {
                if (!line.TryString("template_id", "", out string id))
                    continue;
                if (id.Trim().Length == 0)
                {
                    line.Reject(QuarantineReasons.MissingField, "field 'template_id' is empty");
                    continue;
                }
                if (line.TryString("relation", id, out string relation) &&
                    line.TryString("text", id, out string text) &&
                    line.TryString("split", id, out string split))
                    yield return new RawTemplate(relation, language, id, text, split, source, line.Line);
            }
        }
    }

    private static IEnumerable<RawFact> ReadFacts(string root, IQuarantine quarantine)
    {
        foreach (var (language, path) in LoaderFiles.Files(Path.Combine(root, "facts"), "*.jsonl"))
        {
            string source = LoaderFiles.Relative(root, path);
            foreach (var line in JsonLines.Read(path, source, quarantine))
            {
                if (!line.TryString("fact_id", "", out string id))
                    continue;
                if (id.Trim().Length == 0)
                {
                    line.Reject(QuarantineReasons.MissingField, "field 'fact_id' is empty");
                    continue;
                }
                if (line.TryString("relation", id, out string relation) &&
                    line.TryString("subject", id, out string subject) &&
                    line.TryString("object", id, out string obj) &&
                    line.TryStringList("aliases", id, out var aliases) &&
                    line.TryOptionalString("split", id, TemplateSplits.Train, out string split) &&
                    line.TryOptionalBool("guessable", id, false, out bool guessable))
                    yield return new RawFact(id, relation, language, subject, obj, aliases, source, line.Line, split)
                        { Guessable = guessable };
            }
        }
    }
}
