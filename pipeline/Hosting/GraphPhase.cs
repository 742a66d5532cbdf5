using KnPipeline.Graph;
using KnPipeline.Runs;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Models;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Records;
using KnPipeline.Stages.Tokenization;
using Microsoft.Extensions.Logging;

namespace KnPipeline.Hosting;

/// <summary>
/// The graph phase: builds the stages from the config, wires them into the Dataflow graph and runs the chunks still
/// to do. Every chunk the writer finishes is folded into the plan's totals as it lands.
/// </summary>
public static class GraphPhase
{
    public sealed record Outcome(bool Interrupted, long ChunksWritten, long QueriesAttributed, double DeviceSeconds,
        double DeviceBusy, StageTimes StageSeconds, double Flops = 0);

    public static QueryTokenizer Tokenizer(RunInputs inputs) => new(inputs.Loaded.Tokenizer!, inputs.ModelId,
        inputs.Kind, QueryTokenizer.SpacesOf(inputs.Source));

    /// <summary>The attribution stage of the run's config, under its methods (or the first <paramref name="only"/>
    /// of them).</summary>
    public static AttributionStage Attribution(PipelineConfig c, RunInputs inputs, RunPlan plan, RunFolder run,
        QueryTokenizer tokenizer, int? only = null)
    {
        var loaded = inputs.Loaded;
        // One provider per method; the dataset mean is computed (or read back) only when a method needs it.
        var methods = c.Attribution.Methods.Take(only ?? int.MaxValue).Select(m => (m, BaselineProviders.For(m,
            loaded, c.Attribution.Layers.Count > 0 ? c.Attribution.Layers : null,
            () => DatasetMean(run, inputs, plan, tokenizer)))).ToList();
        return new AttributionStage(loaded.Model, c.Attribution, c.Attribution.Target == AttributionTarget.AllTokens,
            c.Attribution.Localize == LocalizeMode.Correct, loaded.PadId, c.Attribution.BatchRows,
            new KnSelectionStage(c.Attribution.KnThreshold, c.Attribution.TopK, c.Attribution.KeepFull,
                loaded.Model.FfnWidth), methods, id => loaded.Tokenizer!.Decode([id]));
    }

    public static LocalizationStage? Localization(PipelineConfig c, RunInputs inputs) => c.Localization.Enabled
        ? new LocalizationStage(c.Localization, c.Attribution.KnThreshold, inputs.Loaded.Model.FfnWidth, c.Run.Seed)
        : null;

    public static QueryLocalizationStage? QueryLocalization(PipelineConfig c, RunInputs inputs) =>
        c.Consistency.Enabled
            ? new QueryLocalizationStage(c.Consistency, c.Attribution.KnThreshold, c.Localization.RefinedShare,
                inputs.Loaded.Model.FfnWidth, c.Run.Seed)
            : null;

    /// <param name="editing">The editing plan and tuned values, or null with editing off.</param>
    public static async Task<Outcome> RunAsync(PipelineConfig c, RunInputs inputs, RunPlan plan, RunFolder run,
        PartMetadata metadata, ILogger log, CancellationToken ct, EditingPhase.Prepared? editing = null)
    {
        var loaded = inputs.Loaded;
        var expander = new QueryExpander(plan.Filter);
        var tokenizer = Tokenizer(inputs);
        using var stage = Attribution(c, inputs, plan, run, tokenizer);
        using var editRunner = editing?.Runner(c, inputs);
        var packer = new BatchPacker(c.Attribution.BatchRows, c.Attribution.BatchTokens);
        var writer = new ChunkWriter(run, metadata, c.Pipeline.RowGroupRows);
        int parallelism = c.Pipeline.TokenizeParallelism > 0
            ? c.Pipeline.TokenizeParallelism
            : Environment.ProcessorCount;
        long written = 0;
        var progress = new ProgressReporter(plan.ShardFacts, plan.DoneFacts, log,
            TimeSpan.FromSeconds(c.Run.ProgressIntervalS));
        var graph = new PipelineGraph(expander, inputs.Source.TemplatesFor, tokenizer, stage, packer, writer, progress,
            c.Pipeline.QueueCapacity, parallelism, log, marker =>
            {
                lock (plan.Totals)
                    plan.Totals.Add(marker);
                Interlocked.Increment(ref written);
            },
            Localization(c, inputs), QueryLocalization(c, inputs),
            new SetScalingRunner(loaded.Model, loaded.PadId),
            c.Consistency.Enabled && c.Synapses.Enabled
                ? new SynapseProbe(loaded.Model, loaded.PadId, c.Synapses, c.Run.Seed, SpecialIds(loaded))
                : null,
            editing?.Stage(c, inputs), editRunner);
        progress.SetDeviceBusy(() => graph.DeviceBusy);
        bool interrupted = false;
        try
        {
            await graph.RunAsync(plan.Todo, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            log.LogWarning("stopped by signal: {Written} chunks written in this session; rerun with --resume to " +
                           "continue", written);
            interrupted = true;
        }
        finally
        {
            // The last progress line belongs before the summary table, not after it.
            progress.Dispose();
        }
        // Every edit restores what it changed; the whole model's hash says nothing else moved either. Once per
        // session, not per edit: hashing every parameter per edit cannot scale to 7B models.
        editing?.EndSession(run, editRunner!);
        return new Outcome(interrupted, written, graph.QueriesAttributed, graph.DeviceSeconds, graph.DeviceBusy,
            graph.StageSeconds, stage.Flops);
    }

    /// <summary>The tokenizer's special token ids: a synapse never chooses one at position 0.</summary>
    private static HashSet<int> SpecialIds(LoadedModel loaded)
    {
        var t = loaded.Tokenizer;
        int?[] ids = t is null ? [] : [t.BosId, t.EosId, t.PadId, t.ClsId, t.SepId, t.MaskId, t.UnkId];
        return ids.Where(i => i.HasValue).Select(i => i!.Value).ToHashSet();
    }

    /// <summary>
    /// The dataset-mean baseline over every planned fact of this shard's benchmark view: computed once, kept in the
    /// run folder, and read back on resume so a resumed run attributes against the same means.
    /// </summary>
    private static DatasetMeanBaseline DatasetMean(RunFolder run, RunInputs inputs, RunPlan plan,
        QueryTokenizer tokenizer)
    {
        string path = Path.Combine(run.BaselinesDir, "dataset-mean.jsonl");
        if (File.Exists(path))
            return DatasetMeanBaseline.Load(path, BaselineProviders.LanguageOf);
        // Batches of 32 within a chunk, never across one.
        var batches = plan.Plan.Chunks.SelectMany(chunk => tokenizer.TokenizeAll(
            new QueryExpander(plan.Filter).Expand(chunk.Facts, inputs.Source.TemplatesFor), NullQuarantine.Instance)
            .ToList().Chunk(32));
        var mean = DatasetMeanBaseline.Compute(inputs.Loaded.Model, inputs.Loaded.PadId, batches,
            BaselineProviders.LanguageOf);
        Directory.CreateDirectory(run.BaselinesDir);
        mean.Save(path);
        return mean;
    }
}
