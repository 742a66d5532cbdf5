using System.Text.Json;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Training;

/// <summary>
/// The embedded benchmark as the trainer reads it (benchmarks-data/embedded): languages.jsonl, facts/&lt;lang&gt;.jsonl
/// and templates/&lt;lang&gt;.jsonl. Only the fields training needs are read; malformed lines throw naming the file and
/// line. Languages, facts and templates keep the files' order, so everything built from them is deterministic.
/// </summary>
public sealed class EmbeddedBenchmark
{
    /// <summary>One language: its code and whether it writes spaces between words; <see cref="Script"/> from
    /// languages.jsonl (null when absent).</summary>
    public sealed record Language(string Code, bool Spaces)
    {
        public string? Script { get; init; }
    }

    /// <summary>
    /// One fact in one language: a (fact, language) cell. <see cref="Guessable"/>: the answer follows from the
    /// subject's name or nationality (the data card's rule), so held-out accuracy leaves it out; absent in older data
    /// = false. <see cref="HeldoutLanguage"/>: the cell is never stated in training, in any wording (the record's
    /// <c>split</c> is <c>heldout-language</c>; absent = <c>train</c>), so its queries measure transfer from the
    /// fact's other languages.
    /// </summary>
    public sealed record Fact(string FactId, string Relation, string Subject, string Object)
    {
        public IReadOnlyList<string> Aliases { get; init; } = [];
        public bool Guessable { get; init; }
        public bool HeldoutLanguage { get; init; }
    }


    /// <summary>
    /// One template: text with one [X] and one [Y]; split is "train" or "heldout". <see cref="ParaphraseId"/> names
    /// a held-out paraphrase shared across languages (the same id means the same wording in every language), so
    /// held-out accuracies compare; null for training templates and in older data.
    /// </summary>
    public sealed record Template(string Relation, string TemplateId, string Text, string Split)
    {
        public string? ParaphraseId { get; init; }

        public bool IsTrain => Split == TemplateSplits.Train;
        public bool SubjectFirst =>
            Text.IndexOf("[X]", StringComparison.Ordinal) < Text.IndexOf("[Y]", StringComparison.Ordinal);
    }

    public string Directory { get; }
    public IReadOnlyList<Language> Languages { get; }
    public IReadOnlyDictionary<string, IReadOnlyList<Fact>> Facts { get; }
    public IReadOnlyDictionary<string, IReadOnlyList<Template>> Templates { get; }

    /// <summary>
    /// Objects whose first token under the embedded tokenizer is also the first token of another object of the same
    /// relation and language (<see cref="CollisionsFile"/>): a first-token hit there cannot tell the two apart, so
    /// first-token scoring leaves those facts out. Keys are (language, relation, object).
    /// </summary>
    public IReadOnlySet<(string Language, string Relation, string Object)> FirstTokenCollisions { get; }

    /// <summary>Optional file listing first-token collisions, one line per colliding group.</summary>
    public const string CollisionsFile = "first-token-collisions.jsonl";

    private EmbeddedBenchmark(string dir, IReadOnlyList<Language> languages,
        IReadOnlyDictionary<string, IReadOnlyList<Fact>> facts,
        IReadOnlyDictionary<string, IReadOnlyList<Template>> templates,
        IReadOnlySet<(string, string, string)> collisions)
    {
        Directory = dir;
        Languages = languages;
        Facts = facts;
        Templates = templates;
        FirstTokenCollisions = collisions;
    }

    /// <summary>True when first-token scoring must leave this fact out (<see cref="FirstTokenCollisions"/>).</summary>
    public bool Collides(string language, Fact fact) =>
        FirstTokenCollisions.Contains((language, fact.Relation, fact.Object));

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
                (o, where) => new Language(Str(o, "language", where), Bool(o, "spaces", where))
                {
                    Script = OptStr(o, "script", where),
                })
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
                                           Str(o, "subject", where), Str(o, "object", where))
                    {
                        Aliases = StrList(o, "aliases", where), Guessable = OptBool(o, "guessable", where),
                        HeldoutLanguage = OptStr(o, "split", where) switch
                        {
                            null or "train" => false,
                            TemplateSplits.HeldoutLanguage => true,
                            var other => throw new InvalidDataException(
                                $"{where}: a fact's split must be train or {TemplateSplits.HeldoutLanguage}, got '{other}'"),
                        },
                    })
                .Where(f => KeepRel(f.Relation)).ToList();
            templates[lang.Code] = ReadLines(Path.Combine(full, "templates", lang.Code + ".jsonl"), (o, where) =>
                {
                    var t = new Template(Str(o, "relation", where), Str(o, "template_id", where), Str(o, "text", where),
                                         Str(o, "split", where)) { ParaphraseId = OptStr(o, "paraphrase_id", where) };
                    if (Count(t.Text, "[X]") != 1 || Count(t.Text, "[Y]") != 1)
                        throw new InvalidDataException(
                            $"{where}: template '{t.TemplateId}' must hold [X] and [Y] once each");
                    if (t.Split is not ("train" or "heldout"))
                        throw new InvalidDataException($"{where}: split must be train or heldout, got '{t.Split}'");
                    return t;
                })
                .Where(t => KeepRel(t.Relation)).ToList();
        }
        var collisions = new HashSet<(string, string, string)>();
        string collisionsPath = Path.Combine(full, CollisionsFile);
        if (File.Exists(collisionsPath))
            foreach (var (language, relation, objects) in ReadLines(collisionsPath, (o, where) =>
                         (Str(o, "language", where), Str(o, "relation", where), StrList(o, "objects", where))))
                foreach (string obj in objects)
                    collisions.Add((language, relation, obj));
        return new EmbeddedBenchmark(full, langs, facts, templates, collisions);
    }

    private static int Count(string text, string slot)
    {
        int n = 0;
        for (int i = text.IndexOf(slot, StringComparison.Ordinal); i >= 0;
             i = text.IndexOf(slot, i + 1, StringComparison.Ordinal))
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

    private static string? OptStr(JsonElement o, string key, string where) =>
        !o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString()
        : throw new InvalidDataException($"{where}: field '{key}' must be a string or null");

    private static bool OptBool(JsonElement o, string key, string where) =>
        o.TryGetProperty(key, out _) && Bool(o, key, where);

    private static IReadOnlyList<string> StrList(JsonElement o, string key, string where)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
            return [];
        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            throw new InvalidDataException($"{where}: field '{key}' must be a list of strings");
        return v.EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    private static bool Bool(JsonElement o, string key, string where) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(key, out var v) &&
        v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean() : throw new InvalidDataException($"{where}: missing boolean field '{key}'");
}
