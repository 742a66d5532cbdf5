using KnPipeline.Stages.Data;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.QueryExpansion;

/// <summary>
/// Facts × templates × languages → queries, streamed: only the templates (small) are held; facts flow through one
/// at a time. Records left out on purpose are counted in <see cref="Skipped"/>, per query:
/// <c>subject_after_object</c> (causal LMs only), <c>split_filtered</c>; and per fact: <c>language_filtered</c>,
/// <c>relation_filtered</c>, <c>not_sampled</c>, <c>no_templates_in_split</c>.
/// </summary>
public sealed class QueryExpander(QueryExpansionOptions options)
{
    public const string SubjectAfterObject = "subject_after_object";
    public const string SplitFiltered = "split_filtered";
    public const string LanguageFiltered = "language_filtered";
    public const string RelationFiltered = "relation_filtered";
    public const string NotSampled = "not_sampled";
    public const string NoTemplatesInSplit = "no_templates_in_split";

    private readonly HashSet<string>? _languages = ToSet(options.Languages);
    private readonly HashSet<string>? _relations = ToSet(options.Relations);
    private long _queries, _facts;

    public QueryExpansionOptions Options { get; } = options.ModelKind != ModelKind.Auto ? options
        : throw new ArgumentException("model kind 'auto' must be resolved from the checkpoint first", nameof(options));

    /// <summary>Counted skips, by reason.</summary>
    public ReasonCounter Skipped { get; } = new();

    /// <summary>Queries produced so far.</summary>
    public long Queries => Interlocked.Read(ref _queries);

    /// <summary>Facts that produced at least one query so far.</summary>
    public long Facts => Interlocked.Read(ref _facts);

    /// <summary>
    /// Expands a benchmark. With <see cref="QueryExpansionOptions.FactsPerRelation"/> the facts are read twice (the
    /// first pass picks the sample, keeping only k ids per relation); bad facts are quarantined in the second only.
    /// </summary>
    /// <exception cref="ArgumentException">A language filter names a language the benchmark does not have.</exception>
    public IEnumerable<QueryRecord> Expand(BenchmarkSource source, IQuarantine quarantine) =>
        Expand(Sampled(source, quarantine), source.TemplatesFor);

    /// <summary>
    /// The benchmark's facts less those the sample leaves out (counted as <c>not_sampled</c>); the language and
    /// relation filters are left to <see cref="Wanted"/> and to expansion, which counts them. The sample's first pass
    /// reads the facts without quarantining, so each bad fact is quarantined once.
    /// </summary>
    /// <exception cref="ArgumentException">A language filter names a language the benchmark does not have.</exception>
    public IEnumerable<FactRecord> Sampled(BenchmarkSource source, IQuarantine quarantine)
    {
        foreach (string l in _languages ?? [])
            if (source.FindLanguage(l) == null)
                throw new ArgumentException(
                    $"language '{l}' is not in the benchmark {source.Directory} (it has " +
                    $"{string.Join(", ", source.Languages.Select(x => x.Code))})");
        var facts = source.ReadFacts(quarantine);
        if (Options.FactsPerRelation <= 0)
            return facts;
        var sample = FactSampler.Pick(source.ReadFacts(NullQuarantine.Instance).Where(Wanted),
            Options.FactsPerRelation, Options.Seed);
        return facts.Where(f =>
        {
            if (!Wanted(f) || sample.Contains((f.Relation, f.FactId)))
                return true;
            Skipped.Add(NotSampled);
            return false;
        });
    }

    /// <summary>Expands a fact stream against a template lookup (language, relation) → templates.</summary>
    public IEnumerable<QueryRecord> Expand(IEnumerable<FactRecord> facts,
        Func<string, string, IReadOnlyList<TemplateRecord>> templatesFor)
    {
        foreach (var fact in facts)
        {
            if (!Keep(fact))
                continue;
            bool any = false;
            foreach (var template in templatesFor(fact.Language, fact.Relation))
            {
                if (!InSplit(TemplateSplits.OfQuery(fact.Split, template.Split)))
                {
                    Skipped.Add(SplitFiltered);
                    continue;
                }
                var query = MakeQuery(fact, template);
                if (Options.ModelKind == ModelKind.Causal && !query.SubjectFirst)
                {
                    Skipped.Add(SubjectAfterObject);
                    continue;
                }
                any = true;
                Interlocked.Increment(ref _queries);
                yield return query;
            }
            if (any)
                Interlocked.Increment(ref _facts);
            else
                Skipped.Add(NoTemplatesInSplit);
        }
    }

    /// <summary>
    /// One query: [X] filled, [Y] kept; the causal prompt is the text before [Y] trimmed at the end (null when [Y]
    /// precedes [X]). The template must hold each slot once (the loaders quarantine the others). The split is
    /// <see cref="TemplateSplits.OfQuery"/> of the fact's and the template's.
    /// </summary>
    public static QueryRecord MakeQuery(FactRecord fact, TemplateRecord template)
    {
        string t = template.Text;
        int x = t.IndexOf(TemplateRecord.SubjectSlot, StringComparison.Ordinal);
        int y = t.IndexOf(TemplateRecord.ObjectSlot, StringComparison.Ordinal);
        if (x < 0 || y < 0)
            throw new ArgumentException($"template '{template.TemplateId}' ({template.Language}) lacks [X] or [Y]",
                nameof(template));
        string text = string.Concat(t.AsSpan(0, x), fact.Subject, t.AsSpan(x + TemplateRecord.SubjectSlot.Length));
        bool subjectFirst = x < y;
        // Computed from the template, not by searching the text, so a subject that happens to contain "[Y]" cannot
        // move the slot.
        int objectStart = subjectFirst ? y - TemplateRecord.SubjectSlot.Length + fact.Subject.Length : y;
        string? prompt = subjectFirst ? text[..objectStart].TrimEnd() : null;
        return new QueryRecord(QueryRecord.MakeId(fact.FactId, fact.Language, template.TemplateId), fact.FactId,
            fact.Relation, fact.Language, template.TemplateId, TemplateSplits.OfQuery(fact.Split, template.Split), text,
            prompt, fact.Object, objectStart, subjectFirst)
        {
            // The text keeps [Y], so the subject sits where [X] was whichever slot comes first.
            SubjectStart = x, SubjectLength = fact.Subject.Length,
        };
    }

    /// <summary>The language and relation filters, without counting (expansion counts what they drop).</summary>
    public bool Wanted(FactRecord f) =>
        (_languages == null || _languages.Contains(f.Language)) &&
        (_relations == null || _relations.Contains(f.Relation));

    private bool Keep(FactRecord f)
    {
        if (_languages != null && !_languages.Contains(f.Language))
        {
            Skipped.Add(LanguageFiltered);
            return false;
        }
        if (_relations != null && !_relations.Contains(f.Relation))
        {
            Skipped.Add(RelationFiltered);
            return false;
        }
        return true;
    }

    // Filters on the query's split, so train and heldout keep only trained cells: a language-held-out cell's
    // training templates were never seen with that cell either.
    private bool InSplit(string querySplit) => Options.Split switch
    {
        TemplateSplitFilter.Train => querySplit == TemplateSplits.Train,
        TemplateSplitFilter.Heldout => querySplit == TemplateSplits.Heldout,
        TemplateSplitFilter.HeldoutLanguage => querySplit == TemplateSplits.HeldoutLanguage,
        _ => true,
    };

    private static HashSet<string>? ToSet(IReadOnlyCollection<string>? items) =>
        items is { Count: > 0 } ? new HashSet<string>(items, StringComparer.Ordinal) : null;
}
