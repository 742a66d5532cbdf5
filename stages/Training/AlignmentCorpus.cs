using KnPipeline.Stages.Options;

namespace KnPipeline.Stages.Training;

/// <summary>
/// Training text that links each entity's names across languages (issue #13), without stating any language-held-out
/// cell (<see cref="HeldOutCells"/>):
/// <list type="bullet">
/// <item><b>Name lists</b>: one line per entity with its distinct names in every language, in a seeded order, joined
/// by " = " (<c>Frankreich = France = 法国 = …</c>), <see cref="ListsPerEntity"/> orders each. An entity is a fact's
/// subject or object, identified by its names in all languages, so France as subject of six relations is one
/// entity.</item>
/// <item><b>Code-switched statements</b>: for every trained cell (f, A), one of A's training templates of f's
/// relation filled with f's subject named in another language B and A's object ("The capital of Франция is Paris"),
/// template and B drawn from a seeded generator. It states (f, A), which is trained; B may be one of f's held-out
/// languages, which is the point: it teaches that B's name denotes the entity whose facts A's statements
/// teach.</item>
/// <item><b>Code-switched variants</b> (with <see cref="Options.EmbeddedModelOptions.CodeSwitchRate"/> above 0; 0.2 by
/// default): every training statement with f's subject named in each other language, presented instead of the
/// statement at that rate, drawn afresh each epoch.</item>
/// </list>
/// Every line is checked against <see cref="HeldOutCells.StatedIn"/>; a line that would state a held-out cell by its
/// names (a name inside another, or two languages sharing names) is dropped and counted in <see cref="Dropped"/>.
/// </summary>
public sealed class AlignmentCorpus
{
    public const int ListsPerEntity = 2;
    public const string Separator = " = ";

    /// <summary>The language code of name-list rows, which belong to no one language.</summary>
    public const string Multilingual = "mul";

    public IReadOnlyList<FillerText.Sentence> Lists { get; private init; } = [];

    /// <summary>The code-switched statements: one per trained cell.</summary>
    public IReadOnlyList<FactStatement> Switched { get; private init; } = [];

    /// <summary>Code-switched variants of a training statement, keyed by (language, fact id, template id).</summary>
    public IReadOnlyDictionary<(string Language, string FactId, string TemplateId), IReadOnlyList<FactStatement>>
        Variants { get; private init; } =
        new Dictionary<(string, string, string), IReadOnlyList<FactStatement>>();

    /// <summary>All code-switched variants.</summary>
    public int VariantCount => Variants.Values.Sum(v => v.Count);
    public int Dropped { get; private init; }

    public static AlignmentCorpus Build(EmbeddedBenchmark benchmark, HeldOutCells cells, AlignmentText kind,
        int seed, bool variants = false)
    {
        if (kind == AlignmentText.None)
            return new AlignmentCorpus();
        var random = new Random(seed ^ 0xa119);
        int dropped = 0;
        var lists = new List<FillerText.Sentence>();
        if (kind is AlignmentText.Lists or AlignmentText.Both)
            foreach (var names in Entities(benchmark))
                for (int k = 0; k < ListsPerEntity; k++)
                {
                    var order = names.Distinct(StringComparer.Ordinal).ToArray();
                    random.Shuffle(order);
                    var line = List(order);
                    if (cells.StatedIn(line.Text) is null)
                        lists.Add(line);
                    else
                        dropped++;
                }
        var switched = new List<FactStatement>();
        var byKey = new Dictionary<(string, string, string), IReadOnlyList<FactStatement>>();
        bool Keep(FactStatement s) =>
            cells.StatedIn(s.Text) is null && !cells.StatedByTemplate(s.FactId, s.Language);
        if (kind is AlignmentText.CodeSwitch or AlignmentText.Both)
            foreach (var (lang, fact, own, others) in TrainedCells(benchmark))
            {
                // Both draws happen whether or not the line is kept, so one dropped line does not reshuffle the rest.
                var template = own[random.Next(own.Length)];
                int pick = random.Next(Math.Max(1, others.Length));
                if (others.Length > 0)
                {
                    var s = FactStatement.Create(lang, fact with { Subject = others[pick] }, template);
                    if (Keep(s))
                        switched.Add(s);
                    else
                        dropped++;
                }
                if (!variants)
                    continue;
                foreach (var t in own)
                {
                    var list = others.Select(name => FactStatement.Create(lang, fact with { Subject = name }, t))
                        .ToList();
                    dropped += list.RemoveAll(v => !Keep(v));
                    if (list.Count > 0)
                        byKey[(lang.Code, fact.FactId, t.TemplateId)] = list;
                }
            }
        return new AlignmentCorpus { Lists = lists, Switched = switched, Variants = byKey, Dropped = dropped };
    }

    /// <summary>
    /// Every trained cell whose relation has training templates in its language, in benchmark order, with those
    /// templates and the subject's distinct names in the other languages (its own name left out).
    /// </summary>
    private static IEnumerable<(EmbeddedBenchmark.Language Lang, EmbeddedBenchmark.Fact Fact,
        EmbeddedBenchmark.Template[] Templates, string[] OtherNames)> TrainedCells(EmbeddedBenchmark benchmark)
    {
        var byId = benchmark.Languages.ToDictionary(l => l.Code,
            l => benchmark.Facts[l.Code].ToDictionary(f => f.FactId, StringComparer.Ordinal));
        foreach (var lang in benchmark.Languages)
        {
            var templates = benchmark.Templates[lang.Code].Where(t => t.IsTrain)
                .GroupBy(t => t.Relation).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
            foreach (var fact in benchmark.Facts[lang.Code].Where(f => !f.HeldoutLanguage))
            {
                if (!templates.TryGetValue(fact.Relation, out var own))
                    continue;
                var others = benchmark.Languages.Where(o => o.Code != lang.Code)
                    .Select(o => byId[o.Code].GetValueOrDefault(fact.FactId)?.Subject)
                    .OfType<string>().Where(n => n != fact.Subject).Distinct(StringComparer.Ordinal).ToArray();
                yield return (lang, fact, own, others);
            }
        }
    }

    /// <summary>Every distinct entity (subjects and objects) as its names in the benchmark's language order.</summary>
    private static IEnumerable<string[]> Entities(EmbeddedBenchmark benchmark)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var first = benchmark.Languages[0].Code;
        var byId = benchmark.Languages.Select(l =>
            benchmark.Facts[l.Code].ToDictionary(f => f.FactId, StringComparer.Ordinal)).ToArray();
        foreach (var fact in benchmark.Facts[first])
            foreach (var role in (Func<EmbeddedBenchmark.Fact, string>[])[f => f.Subject, f => f.Object])
            {
                var names = byId.Select(d => d.TryGetValue(fact.FactId, out var f) ? role(f) : null)
                    .OfType<string>().ToArray();
                if (seen.Add(string.Join('\u0001', names)))
                    yield return names;
            }
    }

    private static FillerText.Sentence List(IReadOnlyList<string> names)
    {
        var text = new System.Text.StringBuilder();
        var bounds = new List<int>();
        foreach (string n in names)
        {
            if (text.Length > 0)
                text.Append(Separator);
            bounds.Add(text.Length);
            text.Append(n);
            bounds.Add(text.Length);
        }
        return new FillerText.Sentence(Multilingual, text.ToString(), bounds);
    }
}
