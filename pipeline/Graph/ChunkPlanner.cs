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
    public sealed record Plan(IReadOnlyList<FactChunk> Chunks, int TotalFacts, IReadOnlyList<string> Languages)
    {
        /// <summary>Every (fact, language) cell of the benchmark view, every shard's: what a choice that must not
        /// depend on the shard (the editing sample) is made from.</summary>
        public IReadOnlyList<FactRecord> Facts { get; init; } = [];
    }

    public static Plan Build(BenchmarkSource source, QueryExpansionOptions filter, ShardSpec shard, int chunkFacts,
        IQuarantine quarantine)
    {
        var expander = new QueryExpander(filter);
        var byFact = new SortedDictionary<string, List<FactRecord>>(StringComparer.Ordinal);
        int total = 0;
        IEnumerable<FactRecord> facts;
        try
        {
            facts = expander.Sampled(source, quarantine).Where(expander.Wanted).ToList();
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"data.languages: {e.Message}");
        }
        foreach (var f in facts)
        {
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
        var languages = byFact.Values.SelectMany(v => v.Select(f => f.Language)).Distinct()
            .Order(StringComparer.Ordinal).ToList();
        return new Plan(chunks, total, languages)
        {
            Facts = byFact.Values.SelectMany(v => v.OrderBy(f => f.Language, StringComparer.Ordinal)).ToList(),
        };
    }
}
