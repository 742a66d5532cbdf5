using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Records;
using KnPipeline.Stages.Tokenization;
using KnPipeline.Stages.Training;

namespace KnPipeline.Stages.Editing;

/// <summary>
/// What every edit of a run shares, fixed before the graph from the whole benchmark view (every shard's facts), so
/// every shard and every resumed session makes the same choices: the edited facts and their split (dev or
/// evaluation), the locality probe's queries, every relation's objects with their first token in each language (the
/// update's new object is drawn from them), and the tokens of the perplexity text.
/// </summary>
public sealed class EditingPlan
{
    /// <summary>Edited fact id → <see cref="EditSampling.Dev"/> or <see cref="EditSampling.Eval"/>.</summary>
    public IReadOnlyDictionary<string, string> Phases { get; }

    /// <summary>Every fact of the view as the sample sees it (its canonical object), by id.</summary>
    public IReadOnlyDictionary<string, EditFact> Facts { get; }

    /// <summary>The probe facts' queries, one per (fact, language): the first training template.</summary>
    public IReadOnlyList<(EditFact Fact, TokenizedQueryRecord Query)> Probe { get; }

    /// <summary>The tokens of the perplexity text (empty: no ΔPPL).</summary>
    public IReadOnlyList<int> PplTokens { get; }

    private readonly Dictionary<(string Relation, string Object), Dictionary<string, int>> _firstTokens;
    private readonly Dictionary<string, List<string>> _objectsByRelation;

    private EditingPlan(Dictionary<string, string> phases, Dictionary<string, EditFact> facts,
        List<(EditFact, TokenizedQueryRecord)> probe, List<int> ppl,
        Dictionary<(string, string), Dictionary<string, int>> firstTokens)
    {
        Phases = phases;
        Facts = facts;
        Probe = probe;
        PplTokens = ppl;
        _firstTokens = firstTokens;
        _objectsByRelation = firstTokens.Keys.GroupBy(k => k.Item1, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(k => k.Item2).Order(StringComparer.Ordinal).ToList(),
                StringComparer.Ordinal);
    }

    /// <summary>
    /// A fact's object under one name in every language: its English label, else that of its ordinally first
    /// language. Two facts with the same object share it, whatever the languages are called.
    /// </summary>
    public static string CanonicalObject(IEnumerable<FactRecord> cells)
    {
        var list = cells.ToList();
        var en = list.FirstOrDefault(c => c.Language == "en");
        return (en ?? list.OrderBy(c => c.Language, StringComparer.Ordinal).First()).Object;
    }

    /// <param name="facts">Every (fact, language) cell of the benchmark view, every shard's.</param>
    /// <param name="expander">The run's query expander (its filters: split, model kind).</param>
    /// <param name="spaces">Whether a language writes spaces between words (the object's leading space).</param>
    public static EditingPlan Build(IReadOnlyList<FactRecord> facts, EditingOptions options, long seed,
        QueryExpander expander, Func<string, string, IReadOnlyList<TemplateRecord>> templatesFor,
        QueryTokenizer tokenizer, ITextTokenizer text, Func<string, bool> spaces, bool causal)
    {
        var byFact = facts.GroupBy(f => f.FactId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var editFacts = byFact.ToDictionary(kv => kv.Key,
            kv => new EditFact(kv.Value[0].Relation, kv.Key, CanonicalObject(kv.Value)), StringComparer.Ordinal);
        var phases = EditSampling.Phases(editFacts.Values, options.FactsPerRelation, options.DevShare, seed);

        var firstTokens = new Dictionary<(string, string), Dictionary<string, int>>();
        foreach (var (id, cells) in byFact)
        {
            var f = editFacts[id];
            if (!firstTokens.TryGetValue((f.Relation, f.Object), out var byLanguage))
                firstTokens[(f.Relation, f.Object)] = byLanguage = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var c in cells)
                if (!byLanguage.ContainsKey(c.Language) &&
                    text.TargetIds(c.Object, spaces(c.Language)) is { Length: > 0 } ids)
                    byLanguage[c.Language] = ids[0];
        }

        var probe = new List<(EditFact, TokenizedQueryRecord)>();
        foreach (var f in EditSampling.Probe(editFacts.Values, options.ProbeFacts, seed))
        {
            var queries = expander.Expand(byFact[f.FactId], templatesFor)
                .Where(q => q.Split == TemplateSplits.Train)
                .GroupBy(q => q.Language, StringComparer.Ordinal)
                .Select(g => g.OrderBy(q => q.TemplateId, StringComparer.Ordinal).First());
            foreach (var t in tokenizer.TokenizeAll(queries, NullQuarantine.Instance))
                probe.Add((f, t));
        }

        var ppl = causal ? PerplexityText(byFact.Values.SelectMany(c => c), options.PplTokens, seed, text, spaces)
            : [];
        return new EditingPlan(phases, editFacts, probe, ppl, firstTokens);
    }

    /// <summary>
    /// The fixed text ΔPPL is measured on: lists of the benchmark's names in every language, drawn with a seed the
    /// embedded model's trainer never used (its filler is training text, so it cannot serve). Lists state nothing,
    /// so an edit that moves a fact should not move them; one that breaks the model's names does. Languages take
    /// turns, one list each, until the text has <paramref name="count"/> tokens.
    /// </summary>
    public static List<int> PerplexityText(IEnumerable<FactRecord> cells, int count, long seed, ITextTokenizer text,
        Func<string, bool> spaces)
    {
        var names = cells.GroupBy(c => c.Language, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (Language: new EmbeddedBenchmark.Language(g.Key, spaces(g.Key)),
                Names: g.SelectMany(c => new[] { c.Subject, c.Object }).ToList()))
            .Where(x => x.Names.Count > 0).ToList();
        var tokens = new List<int>();
        if (names.Count == 0)
            return tokens;
        var random = new Random((int)(StableHash.Seeded(seed, "edit-ppl-text") & 0x7fffffff));
        for (int turn = 0; tokens.Count < count; turn++)
        {
            var (language, pool) = names[turn % names.Count];
            var sentence = FillerText.Generate(language, pool, 1, random)[0];
            tokens.AddRange(text.Encode((language.Spaces && tokens.Count > 0 ? " " : "") + sentence.Text));
            if (turn > count)
                break;                                           // a tokenizer that yields nothing cannot loop
        }
        return tokens.Take(count).ToList();
    }

    /// <summary>The candidates for an update's new object in one language: every object of the relation with a
    /// first token there.</summary>
    public IEnumerable<ObjectCandidate> Candidates(string relation, string language) =>
        (_objectsByRelation.GetValueOrDefault(relation) ?? [])
            .Where(o => _firstTokens[(relation, o)].ContainsKey(language))
            .Select(o => new ObjectCandidate(o, _firstTokens[(relation, o)][language]));

    /// <summary>An object's first token in every language that names it.</summary>
    public IReadOnlyDictionary<string, int> FirstTokens(string relation, string canonicalObject) =>
        _firstTokens.GetValueOrDefault((relation, canonicalObject)) ?? new Dictionary<string, int>();

    /// <summary>The probe queries unrelated to an edit, in the edit language (<see cref="EditSampling.Unrelated"/>).
    /// </summary>
    public List<TokenizedQueryRecord> Unrelated(string relation, string language, string oldObject,
        string? newObject)
    {
        var facts = EditSampling.Unrelated(Probe.Select(p => p.Fact).DistinctBy(f => f.FactId), relation, oldObject,
            newObject).Select(f => f.FactId).ToHashSet(StringComparer.Ordinal);
        return Probe.Where(p => p.Query.Language == language && facts.Contains(p.Fact.FactId))
            .Select(p => p.Query).ToList();
    }
}
