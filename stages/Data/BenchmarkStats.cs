using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Data;

/// <summary>
/// The counts <c>pipeline data stats</c> prints, computed in one streaming pass over the facts (templates are
/// counted from memory; queries are counted, not built: a fact of relation r in language l adds the number of
/// templates of (l, r), and of those with [X] first for causal LMs).
/// <list type="bullet">
/// <item><see cref="Languages"/>: every declared language; <c>templates</c> counts all its valid templates.</item>
/// <item><see cref="Relations"/>: relations with at least one fact and one template in some language; <c>templates</c>
/// counts its templates over all languages.</item>
/// <item><see cref="Quarantined"/>: bad records by reason (facts of relations without templates are
/// <c>no_templates</c>); <see cref="Skipped"/>: facts left out on purpose (heng840's <c>not_parallel</c>).</item>
/// </list>
/// </summary>
public sealed class BenchmarkStats
{
    private BenchmarkStats(string format, string directory)
    {
        Format = format;
        Directory = directory;
    }

    public string Format { get; }
    public string Directory { get; }
    public SortedDictionary<string, StatsRow> Languages { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, StatsRow> Relations { get; } = new(NaturalComparer.Instance);
    public SortedDictionary<string, long> Quarantined { get; private set; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, long> Skipped { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>The first few quarantined records, as examples for a human.</summary>
    public IReadOnlyList<QuarantineRecord> Examples { get; private set; } = [];

    /// <summary>Opens the folder with the loader and counts everything.</summary>
    public static BenchmarkStats Compute(IBenchmarkLoader loader, string directory, int examples = 5)
    {
        var quarantine = new QuarantineLog(examples);
        var source = loader.Open(directory, quarantine);
        var stats = new BenchmarkStats(loader.Format, directory);
        var lang = source.Languages.ToDictionary(l => l.Code, _ => new Counts(), StringComparer.Ordinal);
        var rel = new Dictionary<string, Counts>(StringComparer.Ordinal);
        foreach (var t in source.Templates)
        {
            lang[t.Language].Templates++;
            Of(rel, t.Relation).Templates++;
        }
        var skipped = new ReasonCounter();
        foreach (var fact in source.ReadFacts(quarantine, skipped))
        {
            var templates = source.TemplatesFor(fact.Language, fact.Relation);
            int causal = 0;
            foreach (var t in templates)
                if (t.SubjectFirst)
                    causal++;
            lang[fact.Language].Add(causal, templates.Count);
            Of(rel, fact.Relation).Add(causal, templates.Count);
        }
        foreach (var (code, c) in lang)
            stats.Languages[code] = c.ToRow();
        foreach (var (relation, c) in rel)
            if (c.Facts > 0 && c.Templates > 0)
                stats.Relations[relation] = c.ToRow();
        stats.Quarantined = quarantine.CountsByReason();
        stats.Skipped = skipped.Snapshot();
        stats.Examples = quarantine.Records;
        return stats;
    }

    private static Counts Of(Dictionary<string, Counts> d, string key)
    {
        if (!d.TryGetValue(key, out var c))
            d[key] = c = new Counts();
        return c;
    }

    private sealed class Counts
    {
        public long Facts, Templates, Causal, Masked;

        public void Add(int causal, int masked)
        {
            Facts++;
            Causal += causal;
            Masked += masked;
        }

        public StatsRow ToRow() => new(Facts, Templates, Causal, Masked);
    }
}
