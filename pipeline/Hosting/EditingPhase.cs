using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using KnPipeline.Graph;
using KnPipeline.Runs;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Editing;
using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Records;
using KnPipeline.Stages.Tokenization;
using Microsoft.Extensions.Logging;

namespace KnPipeline.Hosting;

/// <summary>
/// The editing phase before the graph (docs/architecture.md, Editing): the editing plan (sample, splits, probe, new
/// objects, perplexity text) from the whole benchmark view, and the dev pass, which attributes the dev facts itself,
/// edits them over the tuning grid and chooses the values the graph's evaluation edits use. The dev pass is stored
/// in the run folder (<c>editing/tuning.json</c>, the <c>edit_dev</c> table) and read back on resume; every shard
/// computes the same one, since it depends only on the data, the config and the model.
/// </summary>
public static class EditingPhase
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string TuningPath(RunFolder run) => Path.Combine(run.Path, "editing", "tuning.json");

    public static string SessionsPath(RunFolder run) => Path.Combine(run.Path, "editing", "sessions.jsonl");

    /// <summary>What the graph's editing needs, and what the phase still has to write.</summary>
    public sealed record Prepared(EditingPlan Plan, TuningResult Tuning, EditingOptions Options,
        IReadOnlyList<EditRecord> DevRecords, bool Fresh, string StartHash, bool DevRestored)
    {
        public EditRunner Runner(PipelineConfig c, RunInputs inputs) =>
            new(inputs.Loaded.Model, inputs.Loaded.PadId, Options, c.Run.Seed, Plan.PplTokens.Count > 0
                ? Plan.PplTokens
                : null);

        public EditingStage Stage(PipelineConfig c, RunInputs inputs) => new(Plan, Options, EditSampling.Eval,
            c.Attribution.KnThreshold, c.Localization.RefinedShare, c.Localization.MinQueries,
            inputs.Loaded.Model.FfnWidth, c.Run.Seed);

        /// <summary>The tuned values as the manifest records them (<c>editing_tuned</c>).</summary>
        public JsonObject TunedJson()
        {
            var tuned = new JsonObject();
            foreach (var (name, value) in Tuning.Values)
                tuned[name] = value;
            return tuned;
        }

        /// <summary>A fresh dev pass's edits and its tuning file (last: its presence means the pass is done).
        /// </summary>
        public async Task WriteAsync(RunFolder run, PartMetadata metadata, int rowGroupRows, CancellationToken ct)
        {
            if (!Fresh)
                return;
            await new ChunkWriter(run, metadata, rowGroupRows).WritePartsAsync("dev",
                [TableRegistry.EditDev.Rows(DevRecords)], ct);
            RunFolder.WriteAtomic(TuningPath(run), JsonSerializer.Serialize(
                new StoredTuning(Tuning, DevRestored), Json));
        }

        /// <summary>Appends this session's whole-model hashes and restore checks (the reduce phase's
        /// <c>weights_restored</c>).</summary>
        public void EndSession(RunFolder run, EditRunner runner)
        {
            string end = WeightEdit.Hash(runner.Model);
            var line = new JsonObject
            {
                ["start_hash"] = StartHash, ["end_hash"] = end,
                ["edits_restored"] = runner.AllRestored && DevRestored,
            };
            Directory.CreateDirectory(Path.GetDirectoryName(SessionsPath(run))!);
            File.AppendAllText(SessionsPath(run), line.ToJsonString() + "\n");
        }
    }

    /// <summary>The stored dev pass: the tuning and whether its edits all restored.</summary>
    public sealed record StoredTuning(TuningResult Tuning, bool Restored);

    public static Prepared Prepare(PipelineConfig c, RunInputs inputs, RunPlan plan, RunFolder run, ILogger log)
    {
        var loaded = inputs.Loaded;
        var tokenizer = GraphPhase.Tokenizer(inputs);
        var editPlan = EditingPlan.Build(plan.Plan.Facts, c.Editing, c.Run.Seed, new QueryExpander(plan.Filter),
            inputs.Source.TemplatesFor, tokenizer, loaded.Tokenizer!, QueryTokenizer.SpacesOf(inputs.Source),
            loaded.Model.IsCausal);
        string startHash = WeightEdit.Hash(loaded.Model);
        int devFacts = editPlan.Phases.Values.Count(p => p == EditSampling.Dev);
        log.LogInformation("editing: {Edited} facts sampled ({Dev} dev, {Eval} evaluation), {Probe} probe queries, " +
                           "{Ppl} perplexity tokens", editPlan.Phases.Count, devFacts, editPlan.Phases.Count - devFacts,
            editPlan.Probe.Count, editPlan.PplTokens.Count);
        if (File.Exists(TuningPath(run)))
        {
            var stored = JsonSerializer.Deserialize<StoredTuning>(File.ReadAllText(TuningPath(run)), Json)
                ?? throw new InvalidDataException($"{TuningPath(run)}: empty");
            log.LogInformation("editing: dev pass read back from {Path}", TuningPath(run));
            return new Prepared(editPlan, stored.Tuning, stored.Tuning.Apply(c.Editing), [], false, startHash,
                stored.Restored);
        }

        var clock = Stopwatch.StartNew();
        var facts = plan.Plan.Facts.Where(f => editPlan.Phases.GetValueOrDefault(f.FactId) == EditSampling.Dev)
            .ToList();
        var (attributed, predictions) = Attribute(c, inputs, plan, run, tokenizer, facts);
        double attributeSeconds = clock.Elapsed.TotalSeconds;
        var localization = GraphPhase.Localization(c, inputs);
        var queryLocalization = GraphPhase.QueryLocalization(c, inputs);
        var groups = FactGroup.Of(facts, attributed, predictions)
            .Select(g => (Fact: g, Matrice: localization?.Analyze(g).Matrice ?? [],
                Consistency: (IReadOnlyList<ConsistencyRecord>?)queryLocalization?.Analyze(g).Consistency ?? []))
            .ToList();
        using var runner = new EditRunner(loaded.Model, loaded.PadId, c.Editing, c.Run.Seed,
            editPlan.PplTokens.Count > 0 ? editPlan.PplTokens : null);
        List<EditCell> CellsAt(EditingOptions o)
        {
            var stage = new EditingStage(editPlan, o, EditSampling.Dev, c.Attribution.KnThreshold,
                c.Localization.RefinedShare, c.Localization.MinQueries, loaded.Model.FfnWidth, c.Run.Seed);
            return groups.SelectMany(g => stage.Cells(g.Fact, g.Matrice, g.Consistency, runner.Activations))
                .ToList();
        }
        var (tuning, records) = EditTuner.Tune(c.Editing, CellsAt, runner, devFacts, attributeSeconds);
        log.LogInformation("editing: dev pass over {Facts} facts ({Cells} edited queries, {Edits} edits) in " +
                           "{Attr:F1} s of attribution and {Edit:F1} s of edits: beta2 {Beta2}, t {T}, lambda2 {L2}",
            devFacts, tuning.DevCells, tuning.DevEdits, tuning.AttributeSeconds, tuning.EditSeconds, tuning.Beta2,
            tuning.Threshold, tuning.Lambda2);
        return new Prepared(editPlan, tuning, tuning.Apply(c.Editing), records, true, startHash,
            runner.AllRestored);
    }

    /// <summary>The dev facts attributed under the run's first method (the one edits use), in batches as the
    /// graph packs them.</summary>
    private static (List<MethodAttribution>, List<PredictionRecord>) Attribute(PipelineConfig c, RunInputs inputs,
        RunPlan plan, RunFolder run, QueryTokenizer tokenizer, IReadOnlyList<FactRecord> facts)
    {
        using var stage = GraphPhase.Attribution(c, inputs, plan, run, tokenizer, only: 1);
        var queries = tokenizer.TokenizeAll(new QueryExpander(plan.Filter).Expand(facts, inputs.Source.TemplatesFor),
            NullQuarantine.Instance).ToList();
        var attributed = new List<MethodAttribution>();
        var predictions = new List<PredictionRecord>();
        foreach (var batch in new BatchPacker(c.Attribution.BatchRows, c.Attribution.BatchTokens)
                     .Pack(queries, _ => stage.RowsPerQuery, q => q.InputIds.Length))
        {
            var (a, _, p) = stage.Run(batch);
            attributed.AddRange(a);
            predictions.AddRange(p);
        }
        return (attributed, predictions);
    }
}
