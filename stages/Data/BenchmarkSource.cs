using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Data;

/// <summary>
/// An opened benchmark: its languages and its valid templates (small, held in memory), and its facts, streamed
/// from disk on every <see cref="ReadFacts"/>. The checks shared by every format live here, so a bad record is
/// judged the same whatever file it came from:
/// <list type="bullet">
/// <item>templates: unknown_language, unknown_relation, template_missing_x/y, template_repeated_slot, bad_split,
/// duplicate_template_id, duplicate_template;</item>
/// <item>facts: unknown_language, unknown_relation, empty_subject, empty_object, bad_split, no_templates,
/// duplicate_fact_id.</item>
/// </list>
/// </summary>
public sealed class BenchmarkSource
{
    private readonly Dictionary<string, LanguageInfo> _languages;
    private readonly Dictionary<(string Language, string Relation), TemplateRecord[]> _templatesByKey;
    private readonly Func<IQuarantine, ReasonCounter, IEnumerable<RawFact>> _readRawFacts;

    /// <param name="format">The loader's format name.</param>
    /// <param name="directory">The benchmark folder.</param>
    /// <param name="languages">The declared languages; records of any other language are quarantined.</param>
    /// <param name="relations">The declared relations, or null when the format declares none.</param>
    /// <param name="templates">Every template the format reader found; checked here, once.</param>
    /// <param name="readRawFacts">Streams the format's facts; called again on every <see cref="ReadFacts"/>.</param>
    /// <param name="quarantine">Where bad templates go.</param>
    public BenchmarkSource(string format, string directory, IEnumerable<LanguageInfo> languages,
        IReadOnlySet<string>? relations, IEnumerable<RawTemplate> templates,
        Func<IQuarantine, ReasonCounter, IEnumerable<RawFact>> readRawFacts, IQuarantine quarantine)
    {
        Format = format;
        Directory = directory;
        _languages = languages.ToDictionary(l => l.Code, StringComparer.Ordinal);
        Languages = _languages.Values.OrderBy(l => l.Code, StringComparer.Ordinal).ToArray();
        Relations = relations;
        _readRawFacts = readRawFacts;
        Templates = CheckTemplates(templates, quarantine);
        _templatesByKey = Templates.GroupBy(t => (t.Language, t.Relation))
            .ToDictionary(g => g.Key, g => g.ToArray());
    }

    public string Format { get; }

    public string Directory { get; }

    /// <summary>The declared languages, sorted by code.</summary>
    public IReadOnlyList<LanguageInfo> Languages { get; }

    /// <summary>The declared relations, or null when the format declares none (any relation is accepted).</summary>
    public IReadOnlySet<string>? Relations { get; }

    /// <summary>The valid templates, in file order.</summary>
    public IReadOnlyList<TemplateRecord> Templates { get; }

    /// <summary>The language's declaration, or null when it is not declared.</summary>
    public LanguageInfo? FindLanguage(string code) => _languages.GetValueOrDefault(code);

    /// <summary>The valid templates of one relation in one language (empty when there are none).</summary>
    public IReadOnlyList<TemplateRecord> TemplatesFor(string language, string relation) =>
        _templatesByKey.TryGetValue((language, relation), out var t) ? t : [];

    /// <summary>
    /// Streams the valid facts, re-reading the files each call. Bad facts go to <paramref name="quarantine"/>;
    /// facts left out on purpose (e.g. heng840's non-parallel facts) are counted in <paramref name="skipped"/>.
    /// </summary>
    public IEnumerable<FactRecord> ReadFacts(IQuarantine quarantine, ReasonCounter? skipped = null)
    {
        // Duplicate detection keeps 64-bit hashes of (language, fact_id), not the strings: ~8 bytes a fact instead of
        // ~100, so a benchmark of millions of facts stays small. A false duplicate needs a 64-bit collision.
        var seen = new HashSet<ulong>();
        foreach (var raw in _readRawFacts(quarantine, skipped ?? new ReasonCounter()))
        {
            string? reason = null, detail = null;
            string subject = raw.Subject.Trim(), obj = raw.Object.Trim();
            if (!_languages.ContainsKey(raw.Language))
                (reason, detail) = (QuarantineReasons.UnknownLanguage, $"language '{raw.Language}' is not declared");
            else if (Relations != null && !Relations.Contains(raw.Relation))
                (reason, detail) = (QuarantineReasons.UnknownRelation, $"relation '{raw.Relation}' is not declared");
            else if (subject.Length == 0)
                (reason, detail) = (QuarantineReasons.EmptySubject, "the subject is empty");
            else if (obj.Length == 0)
                (reason, detail) = (QuarantineReasons.EmptyObject, "the object is empty");
            else if (!TemplateSplits.IsFactSplit(raw.Split))
                (reason, detail) = (QuarantineReasons.BadSplit, $"split '{raw.Split}' is neither " +
                    $"'{TemplateSplits.Train}' nor '{TemplateSplits.HeldoutLanguage}' (a fact's split)");
            else if (!_templatesByKey.ContainsKey((raw.Language, raw.Relation)))
                (reason, detail) = (QuarantineReasons.NoTemplates,
                    $"relation '{raw.Relation}' has no valid template in language '{raw.Language}'");
            else if (!seen.Add(StableHash.Fnv1a64(raw.Language, raw.FactId)))
                (reason, detail) = (QuarantineReasons.DuplicateFactId,
                    $"fact_id '{raw.FactId}' appears earlier in language '{raw.Language}'");
            if (reason != null)
            {
                quarantine.Add(
                    new QuarantineRecord(raw.Source, raw.Line, raw.FactId, JsonLines.Stage, reason, detail!));
                continue;
            }
            yield return new FactRecord(raw.FactId, raw.Relation, raw.Language, subject, obj, raw.Aliases, raw.Split)
                { Guessable = raw.Guessable };
        }
    }

    private TemplateRecord[] CheckTemplates(IEnumerable<RawTemplate> templates, IQuarantine quarantine)
    {
        var valid = new List<TemplateRecord>();
        var ids = new HashSet<(string, string)>();
        var texts = new HashSet<(string, string, string)>();
        foreach (var t in templates)
        {
            (string? reason, string detail) = CheckTemplate(t) is { } bad ? (bad.Reason, bad.Detail) : (null, "");
            if (reason == null && !ids.Add((t.Language, t.TemplateId)))
                (reason, detail) = (QuarantineReasons.DuplicateTemplateId,
                    $"template_id '{t.TemplateId}' appears earlier in language '{t.Language}'");
            if (reason == null && !texts.Add((t.Language, t.Relation, t.Text.Trim())))
                (reason, detail) = (QuarantineReasons.DuplicateTemplate,
                    $"the same text appears earlier for relation '{t.Relation}' in language '{t.Language}'");
            if (reason != null)
            {
                quarantine.Add(new QuarantineRecord(t.Source, t.Line, t.TemplateId, JsonLines.Stage, reason, detail));
                continue;
            }
            valid.Add(new TemplateRecord(t.Relation, t.Language, t.TemplateId, t.Text, t.Split));
        }
        return valid.ToArray();
    }

    private (string Reason, string Detail)? CheckTemplate(RawTemplate t)
    {
        int x = Count(t.Text, TemplateRecord.SubjectSlot), y = Count(t.Text, TemplateRecord.ObjectSlot);
        if (!_languages.ContainsKey(t.Language))
            return (QuarantineReasons.UnknownLanguage, $"language '{t.Language}' is not declared");
        if (Relations != null && !Relations.Contains(t.Relation))
            return (QuarantineReasons.UnknownRelation, $"relation '{t.Relation}' is not declared");
        if (x == 0)
            return (QuarantineReasons.TemplateMissingX, "the text has no [X]");
        if (y == 0)
            return (QuarantineReasons.TemplateMissingY, "the text has no [Y]");
        if (x > 1 || y > 1)
            return (QuarantineReasons.TemplateRepeatedSlot,
                $"the text has [X] {x} times and [Y] {y} times; each must appear once");
        if (!TemplateSplits.IsTemplateSplit(t.Split))
            return (QuarantineReasons.BadSplit, $"split '{t.Split}' is neither '{TemplateSplits.Train}' nor " +
                $"'{TemplateSplits.Heldout}' (a template's split; " +
                $"'{TemplateSplits.HeldoutLanguage}' belongs to facts)");
        return null;
    }

    private static int Count(string text, string slot)
    {
        int n = 0;
        for (int i = text.IndexOf(slot, StringComparison.Ordinal); i >= 0;
             i = text.IndexOf(slot, i + slot.Length, StringComparison.Ordinal))
            n++;
        return n;
    }
}
