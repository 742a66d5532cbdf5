using KnPipeline.Runs;
using KnPipeline.Stages.Data;
using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Records;

namespace KnPipeline.Graph;

/// <summary>
/// Reads the benchmark's facts once, keeps those the filters and the sample select, groups every fact's languages
/// together, keeps this shard's facts, and cuts them, in fact-id order, into chunks of <c>run.chunk_facts</c>.
/// The plan is a pure function of the data and the config, so a resumed run sees exactly the same chunks.
/// Only the fact records are held (no queries or tokens), which is what bounds the planner's memory.
/// </summary>
public static class ChunkPlanner
{
    public sealed record Plan(IReadOnlyList<FactChunk> Chunks, int TotalFacts, IReadOnlyList<string> Languages);

    public static Plan Build(BenchmarkSource source, QueryExpansionOptions filter, ShardSpec shard, int chunkFacts, IQuarantine quarantine)
    {
        var langs = filter.Languages is { Count: > 0 } l ? new HashSet<string>(l) : null;
        var rels = filter.Relations is { Count: > 0 } r ? new HashSet<string>(r) : null;
        foreach (var code in langs ?? [])
            if (source.FindLanguage(code) is null)
                throw new Cli.UsageException($"data.languages: '{code}' is not in the benchmark {source.Directory} " +
                                             $"(it has {string.Join(", ", source.Languages.Select(x => x.Code))})");
        bool Wanted(FactRecord f) => (langs is null || langs.Contains(f.Language)) && (rels is null || rels.Contains(f.Relation));
        HashSet<(string, string)>? sample = filter.FactsPerRelation > 0
            ? FactSampler.Pick(source.ReadFacts(NullQuarantine.Instance).Where(Wanted), filter.FactsPerRelation, filter.Seed)
            : null;
        var byFact = new SortedDictionary<string, List<FactRecord>>(StringComparer.Ordinal);
        int total = 0;
        foreach (var f in source.ReadFacts(quarantine))
        {
            if (!Wanted(f) || (sample is not null && !sample.Contains((f.Relation, f.FactId))))
                continue;
            if (!byFact.TryGetValue(f.FactId, out var list))
            {
                byFact[f.FactId] = list = [];
                total++;
            }
            list.Add(f);
        }
        var mine = byFact.Where(kv => shard.Owns(kv.Key)).ToList();
        var chunks = new List<FactChunk>();
        for (int i = 0; i < mine.Count; i += chunkFacts)
        {
            var part = mine.Skip(i).Take(chunkFacts).ToList();
            int index = chunks.Count;
            chunks.Add(new FactChunk(index, $"{shard.Tag}-c{index:D6}", part.Select(p => p.Key).ToList(),
                part.SelectMany(p => p.Value.OrderBy(f => f.Language, StringComparer.Ordinal)).ToList()));
        }
        var languages = byFact.Values.SelectMany(v => v.Select(f => f.Language)).Distinct().Order(StringComparer.Ordinal).ToList();
        return new Plan(chunks, total, languages);
    }
}
