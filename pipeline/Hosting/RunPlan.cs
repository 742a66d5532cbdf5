using KnPipeline.Graph;
using KnPipeline.Runs;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.QueryExpansion;
using Microsoft.Extensions.Logging;

namespace KnPipeline.Hosting;

/// <summary>
/// The plan phase: this shard's chunks, those a previous session already finished (their markers folded into
/// <see cref="Totals"/>, never kept), and those still to do.
/// </summary>
public sealed record RunPlan(ChunkPlanner.Plan Plan, QueryExpansionOptions Filter, IReadOnlyList<FactChunk> Todo,
    RunTotals Totals, int ShardFacts, int DoneFacts)
{
    public static RunPlan Build(PipelineConfig c, RunInputs inputs, RunFolder run, ShardSpec shard, ILogger log)
    {
        var filter = new QueryExpansionOptions
        {
            Languages = c.Data.Languages.Count > 0 ? c.Data.Languages.ToList() : null,
            Relations = c.Data.Relations.Count > 0 ? c.Data.Relations.ToList() : null,
            FactsPerRelation = c.Data.FactsPerRelation, Seed = c.Run.Seed,
            Split = c.Data.Split,
            ModelKind = inputs.Kind,
        };
        var plan = ChunkPlanner.Build(inputs.Source, filter, shard, c.Run.ChunkFacts, inputs.LoadQuarantine);
        var totals = new RunTotals();
        var todo = new List<FactChunk>();
        int doneFacts = 0;
        foreach (var chunk in plan.Chunks)
        {
            if (ChunkMarker.ReadIfIntact(run, chunk.Key, m => log.LogWarning("{Message}", m)) is { } marker)
            {
                totals.Add(marker);
                doneFacts += marker.Facts.Length;
            }
            else
                todo.Add(chunk);
        }
        int shardFacts = plan.Chunks.Sum(ch => ch.FactIds.Count);
        log.LogInformation("{Facts} facts in {Chunks} chunks for this shard ({Total} in the benchmark after " +
                           "filters); {Done} chunks already done",
            shardFacts, plan.Chunks.Count, plan.TotalFacts, plan.Chunks.Count - todo.Count);
        return new RunPlan(plan, filter, todo, totals, shardFacts, doneFacts);
    }
}
