using System.Text.Json;

namespace KnPipeline.Stages.Training;

/// <summary>
/// The embedded benchmark as the trainer reads it (benchmarks-data/embedded): languages.jsonl, facts/&lt;lang&gt;.jsonl
/// and templates/&lt;lang&gt;.jsonl. Only the fields training needs are read; malformed lines throw naming the file and
/// line. Languages, facts and templates keep the files' order, so everything built from them is deterministic.
/// </summary>
public sealed class EmbeddedBenchmark
{
    /// <summary>One language: its code and whether it writes spaces between words.</summary>
    public sealed record Language(string Code, bool Spaces);

    /// <summary>One fact in one language.</summary>
    public sealed record Fact(string FactId, string Relation, string Subject, string Object);

    /// <summary>One template: text with one [X] and one [Y]; split is "train" or "heldout".</summary>
    public sealed record Template(string Relation, string TemplateId, string Text, string Split)
    {
        public bool IsTrain => Split == "train";
        public bool SubjectFirst => Text.IndexOf("[X]", StringComparison.Ordinal) < Text.IndexOf("[Y]", StringComparison.Ordinal);
    }

    public string Directory { get; }
    public IReadOnlyList<Language> Languages { get; }
    public IReadOnlyDictionary<string, IReadOnlyList<Fact>> Facts { get; }
    public IReadOnlyDictionary<string, IReadOnlyList<Template>> Templates { get; }

    private EmbeddedBenchmark(string dir, IReadOnlyList<Language> languages,
        IReadOnlyDictionary<string, IReadOnlyList<Fact>> facts, IReadOnlyDictionary<string, IReadOnlyList<Template>> templates)
    {
        Directory = dir;
        Languages = languages;
        Facts = facts;
        Templates = templates;
    }

    /// <summary>The files whose contents define the benchmark (and so the trained model), in a fixed order.</summary>
    public static IReadOnlyList<string> DataFiles(string dir)
    {
        var files = new List<string> { Path.Combine(dir, "languages.jsonl"), Path.Combine(dir, "relations.jsonl") };
        foreach (string sub in (string[])["facts", "templates"])
        {
            string d = Path.Combine(dir, sub);
            if (System.IO.Directory.Exists(d))
                files.AddRange(System.IO.Directory.GetFiles(d, "*.jsonl").Order(StringComparer.Ordinal));
        }
        return files;
    }

    /// <summary>
    /// Reads the benchmark in <paramref name="dir"/>, keeping only <paramref name="languages"/> and
    /// <paramref name="relations"/> when given (null or empty = all).
    /// </summary>
    /// <exception cref="InvalidDataException">A missing file or a malformed line; the message names it.</exception>
    public static EmbeddedBenchmark Load(string dir, IReadOnlyCollection<string>? languages = null,
                                         IReadOnlyCollection<string>? relations = null)
    {
        string full = Path.GetFullPath(dir);
        bool KeepLang(string l) => languages is not { Count: > 0 } || languages.Contains(l);
        bool KeepRel(string r) => relations is not { Count: > 0 } || relations.Contains(r);

        var langs = ReadLines(Path.Combine(full, "languages.jsonl"),
                (o, where) => new Language(Str(o, "language", where), Bool(o, "spaces", where)))
            .Where(l => KeepLang(l.Code)).ToList();
        if (languages is { Count: > 0 })
            foreach (string l in languages)
                if (langs.All(x => x.Code != l))
                    throw new InvalidDataException($"{full}: language '{l}' is not in languages.jsonl");
        var facts = new Dictionary<string, IReadOnlyList<Fact>>();
        var templates = new Dictionary<string, IReadOnlyList<Template>>();
        foreach (var lang in langs)
        {
            facts[lang.Code] = ReadLines(Path.Combine(full, "facts", lang.Code + ".jsonl"),
                    (o, where) => new Fact(Str(o, "fact_id", where), Str(o, "relation", where),
                                           Str(o, "subject", where), Str(o, "object", where)))
                .Where(f => KeepRel(f.Relation)).ToList();
            templates[lang.Code] = ReadLines(Path.Combine(full, "templates", lang.Code + ".jsonl"), (o, where) =>
                {
                    var t = new Template(Str(o, "relation", where), Str(o, "template_id", where), Str(o, "text", where),
                                         Str(o, "split", where));
                    if (Count(t.Text, "[X]") != 1 || Count(t.Text, "[Y]") != 1)
                        throw new InvalidDataException($"{where}: template '{t.TemplateId}' must hold [X] and [Y] once each");
                    if (t.Split is not ("train" or "heldout"))
                        throw new InvalidDataException($"{where}: split must be train or heldout, got '{t.Split}'");
                    return t;
                })
                .Where(t => KeepRel(t.Relation)).ToList();
        }
        return new EmbeddedBenchmark(full, langs, facts, templates);
    }

    private static int Count(string text, string slot)
    {
        int n = 0;
        for (int i = text.IndexOf(slot, StringComparison.Ordinal); i >= 0; i = text.IndexOf(slot, i + 1, StringComparison.Ordinal))
            n++;
        return n;
    }

    private static List<T> ReadLines<T>(string path, Func<JsonElement, string, T> parse)
    {
        if (!File.Exists(path))
            throw new InvalidDataException($"{path}: benchmark file not found");
        var list = new List<T>();
        int lineNo = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            string where = $"{path}:{lineNo}";
            try
            {
                using var doc = JsonDocument.Parse(line);
                list.Add(parse(doc.RootElement, where));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{where}: malformed JSON: {e.Message}", e);
            }
        }
        return list;
    }

    private static string Str(JsonElement o, string key, string where) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()! : throw new InvalidDataException($"{where}: missing string field '{key}'");

    private static bool Bool(JsonElement o, string key, string where) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean() : throw new InvalidDataException($"{where}: missing boolean field '{key}'");
}
