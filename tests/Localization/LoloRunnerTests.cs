using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace KnPipeline.Tests.Localization;

/// <summary>The leave-one-language-out runner on tiny checkpoints, against the intervention engine it drives.
/// </summary>
[Collection("Torch")]
public class LoloRunnerTests
{
    private static readonly int[][] Prompts = [[5, 9, 13, 2, 7, 11, 3], [4, 8, 6, 10], [12, 3, 3, 9, 1]];
    private static readonly int[] Targets = [7, 21, 4];

    /// <summary>Query k: prompt k, predicted at its last token (causal) or at <paramref name="positions"/>.</summary>
    private static TokenizedQueryRecord Query(int k, int[]? positions = null, string split = TemplateSplits.Train)
    {
        var q = SyntheticAttributions.Query("en", k + 1, split, Prompts[k], Targets[k]);
        return positions is null ? q : q with { PredictionPositions = [positions[k]] };
    }

    private static LoloTrial Trial(string arm, NeuronSet set, TokenizedQueryRecord[] queries, string source = "") =>
        new("F1", "P36", "dai", "en", arm, source, set, queries);

    /// <summary>Sets of several layers, one shared by two trials' queries, an empty one, and a one-query trial.
    /// </summary>
    private static List<LoloTrial> Trials(int[]? positions = null)
    {
        var q = Enumerable.Range(0, 3).Select(k => Query(k, positions)).ToArray();
        return
        [
            Trial("matrice", NeuronSet.Of([(0, 3), (1, 7), (2, 0)]), [q[0], q[1]]),
            Trial("single_query", NeuronSet.Empty, [q[0], q[2]], source: "de"),
            Trial("fixed_k", NeuronSet.Of([(1, 2), (1, 5)]), [q[1], q[2]]),
            Trial("random", NeuronSet.Of([(2, 11)]), [q[0]]),
        ];
    }

    /// <summary>The engine alone, one prompt and one row: P(target) with <paramref name="set"/> scaled by α.</summary>
    private static double Engine(TransformerLM model, TokenizedQueryRecord q, NeuronSet set, double alpha) =>
        new NeuronInterventions(model, padId: 0).TargetProbabilities([q.InputIds], [q.PredictionPositions[0]],
            [q.TargetIds[0]], [new InterventionRow(0, set, alpha)])[0];

    [Fact]
    public void EveryRecordMatchesTheEngineAloneAndEmptySetsChangeNothing()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", seed: 5);
        var trials = Trials();
        var records = new LoloRunner(model, padId: 0, promptsPerBatch: 2).Run(trials);

        // One record per (trial, query), in trial then query order.
        Assert.Equal(trials.SelectMany(t => t.Queries.Select(q => (t.Arm, q.QueryId))),
            records.Select(r => (r.Arm, r.QueryId)));
        int at = 0, moved = 0;
        foreach (var t in trials)
            foreach (var q in t.Queries)
            {
                var r = records[at++];
                Assert.Equal((q.FactId, q.Relation, q.Language, q.TemplateId, q.Split),
                    (r.FactId, r.Relation, r.Language, r.TemplateId, r.Split));
                Assert.Equal(("dai", t.SourceLanguage), (r.Method, r.SourceLanguage));
                Assert.Equal(t.Set.Layers, r.Layer);
                Assert.Equal(t.Set.Units, r.Unit);
                Json.Close(Engine(model, q, NeuronSet.Empty, 1.0), r.PBefore, 1e-6, $"{t.Arm} {q.QueryId} p_before");
                if (t.Set.Count == 0)
                {
                    Assert.Equal(r.PBefore, r.PAfter);
                    Assert.Equal(0.0, r.Dprob);
                }
                else
                {
                    Json.Close(Engine(model, q, t.Set, 0.0), r.PAfter, 1e-6, $"{t.Arm} {q.QueryId} p_after");
                    if (Math.Abs(r.PAfter - r.PBefore) > 1e-4)
                        moved++;
                }
            }
        Assert.Equal(7, records.Count);
        Assert.True(moved >= 3, $"suppression moved only {moved} of 5 non-empty rows");
        // A query shared by trials has one p_before.
        Assert.Single(records.Where(r => r.QueryId == trials[0].Queries[0].QueryId).Select(r => r.PBefore).Distinct());
    }

    [Fact]
    public void TrialsRunTogetherGiveWhatTheyGiveOneAtATime()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", seed: 9);
        var trials = Trials();
        var together = new LoloRunner(model, padId: 0).Run(trials);
        var oneByOne = trials.SelectMany(t => new LoloRunner(model, padId: 0, promptsPerBatch: 1).Run([t])).ToList();
        Assert.Equal(together.Count, oneByOne.Count);
        for (int i = 0; i < together.Count; i++)
        {
            Assert.Equal((together[i].Arm, together[i].QueryId), (oneByOne[i].Arm, oneByOne[i].QueryId));
            Json.Close(oneByOne[i].PBefore, together[i].PBefore, 1e-6, $"record {i} p_before");
            Json.Close(oneByOne[i].PAfter, together[i].PAfter, 1e-6, $"record {i} p_after");
        }
        Assert.Empty(new LoloRunner(model, padId: 0).Run([]));
    }

    [Fact]
    public void AMaskedModelIsSuppressedAtItsMaskPosition()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("bert", seed: 6);
        int[] positions = [2, 1, 3];
        var trials = Trials(positions);
        var records = new LoloRunner(model, padId: 0).Run(trials);
        int at = 0;
        foreach (var t in trials)
            foreach (var q in t.Queries)
            {
                var r = records[at++];
                Json.Close(Engine(model, q, NeuronSet.Empty, 1.0), r.PBefore, 1e-6, $"{t.Arm} {q.QueryId} p_before");
                Json.Close(Engine(model, q, t.Set, 0.0), r.PAfter, 1e-6, $"{t.Arm} {q.QueryId} p_after");
            }
    }
}
