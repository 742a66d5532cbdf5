using System.Text.Json.Nodes;
using KnPipeline.Stages.Models.Core;

namespace KnPipeline.Stages.Training;

/// <summary>
/// The descriptive part of training.json: scope, tokenizer and corpus sizes, model shape, thread count and the
/// early-stopping log, so a reader can tell how a cached model was made without rerunning anything.
/// </summary>
internal static class TrainingDetails
{
    public static JsonObject ScopeJson(EmbeddedTrainingScope s) => new()
    {
        ["languages"] = new JsonArray((s.Languages ?? []).Select(l => (JsonNode?)l).ToArray()),
        ["relations"] = new JsonArray((s.Relations ?? []).Select(r => (JsonNode?)r).ToArray()),
        ["max_steps"] = s.MaxSteps,
        ["max_merges"] = s.MaxMerges,
        ["max_positions"] = s.MaxPositions,
        ["accuracy_sample_per_language"] = s.AccuracySamplePerLanguage,
        ["threads"] = s.Threads ?? EmbeddedTrainingScope.DefaultThreads,
        ["replicas"] = s.Replicas ?? EmbeddedTrainingScope.DefaultReplicas,
    };

    public static JsonObject Build(TrainingStats stats, EmbeddedTrainingScope scope, TrainingCorpus corpus,
        List<TrainingRow> rows, ByteLevelBpe bpe, ModelConfig config, int threads)
    {
        var log = new JsonArray();
        foreach (var e in stats.Log)
        {
            var acc = new JsonObject();
            foreach (var (l, a) in e.TrainAccuracy)
                acc[l] = Math.Round(a, 4);
            log.Add(new JsonObject
            {
                ["epoch"] = e.Epoch, ["steps"] = e.Steps, ["loss"] = Math.Round(e.Loss, 6),
                ["seconds"] = Math.Round(e.Seconds, 2), ["train_accuracy"] = acc, ["all_prompts"] = e.AllPrompts,
            });
        }
        return new JsonObject
        {
            ["code_version"] = EmbeddedModel.CodeVersion,
            ["train_seconds"] = Math.Round(stats.Seconds, 3),
            ["epochs_run"] = stats.EpochsRun,
            ["reached_target"] = stats.ReachedTarget,
            ["scope"] = ScopeJson(scope),
            ["tokenizer"] = new JsonObject { ["merges"] = bpe.Merges.Count, ["vocab_size"] = bpe.VocabSize },
            ["corpus"] = new JsonObject
            {
                ["fact_sentences"] = corpus.TrainStatements.Count(), ["filler_sentences"] = corpus.Filler.Count,
                ["tokens"] = rows.Sum(r => r.Ids.Length), ["longest"] = rows.Max(r => r.Ids.Length),
                ["filler"] = "lists of 3-6 benchmark names per language (no statement, so no false fact)",
                ["heldout_language_cells"] = corpus.Cells.Cells.Count,
                ["withheld_statements"] = corpus.Withheld,
                ["alignment_lists"] = corpus.Alignment.Lists.Count,
                ["code_switched"] = corpus.Alignment.Switched.Count,
                ["code_switched_variants"] = corpus.Alignment.VariantCount,
                ["alignment_dropped"] = corpus.Alignment.Dropped,
            },
            ["model"] = new JsonObject
            {
                ["layers"] = config.NumLayers, ["d_model"] = config.HiddenSize, ["heads"] = config.NumHeads,
                ["ffn"] = config.FfnWidth, ["n_positions"] = config.MaxPositions, ["vocab_size"] = config.VocabSize,
            },
            ["threads"] = threads,
            ["replicas"] = scope.Replicas ?? EmbeddedTrainingScope.DefaultReplicas,
            ["epoch_log"] = log,
        };
    }
}
