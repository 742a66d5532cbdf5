using KnPipeline.Stages.Editing;
using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Localization;
using KnPipeline.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace KnPipeline.Tests.Editing;

/// <summary>The edit metrics, on hand-made predictions and on a tiny model whose answers are read one query at a
/// time.</summary>
[Collection("Torch")]
public class EditEvaluatorTests
{
    private static QueryPrediction P(int top1, int goldRank, int targetRank = -1) =>
        new(top1, goldRank, 0.5, targetRank, targetRank < 0 ? double.NaN : 0.1);

    [Fact]
    public void TheRulesCountOnlyQueriesCorrectBeforeTheEdit()
    {
        var before = new ProbePredictions(P(7, 0),
            [P(7, 0), P(7, 0), P(3, 2)], [P(7, 0)], [], [P(4, 0), P(5, 0), P(6, 1)]);
        var erased = new ProbePredictions(P(9, 2),
            [P(9, 1), P(7, 0), P(9, 3)], [P(7, 0)], [], [P(4, 0), P(8, 1), P(9, 4)]);
        var erase = EvaluatorScore(EditOp.Erase, before, erased);
        // Rel: the old object left top-1. Gen train: 1 of the 2 correct (the third was wrong before). Held-out: the
        // one stays. Languages: none, so undefined. Locality: 1 of the 2 correct probes kept its answer.
        Assert.Equal((1.0, 0.5, 0.0, 1.0 / 3, 0.5), (erase.Reliability, erase.GeneralizationTrain,
            erase.GeneralizationHeldout, erase.Generalization, erase.Locality));
        Assert.True(double.IsNaN(erase.GeneralizationLanguages));
        Assert.Equal((1 + 1.0 / 3 + 0.5) / 3, erase.Avg, 12);

        // Update: success is the new object at rank 0; a query without a new-object token is not counted.
        var updated = new ProbePredictions(P(21, 1, 0),
            [P(21, 1, 0), P(9, 1, 3), P(21, 3, 0)], [P(7, 0, -1)], [], [P(4, 0), P(5, 0), P(6, 1)]);
        var update = EvaluatorScore(EditOp.Update, before, updated);
        Assert.Equal((1.0, 0.5, 0.5, 1.0), (update.Reliability, update.GeneralizationTrain, update.Generalization,
            update.Locality));
        Assert.True(double.IsNaN(update.GeneralizationHeldout));
        // A wrong edited query leaves reliability undefined, and Avg with it.
        var wrong = EvaluatorScore(EditOp.Erase, before with { Edited = P(3, 1) }, erased);
        Assert.True(double.IsNaN(wrong.Reliability) && double.IsNaN(wrong.Avg));
        Assert.Throws<ArgumentException>(() => EvaluatorScore(EditOp.Enhance, before, erased));
    }

    private static EditScores EvaluatorScore(EditOp op, ProbePredictions before, ProbePredictions after) =>
        EditEvaluator.Score(op, before, after);

    /// <summary>Nine prompts of a tiny GPT-2, the gold set to the model's own answer except on three.</summary>
    private static EditProbe Probe(TransformerLM model)
    {
        var random = new Random(3);
        var prompts = Enumerable.Range(0, 9).Select(k => Enumerable.Range(0, 3 + k % 4)
            .Select(_ => random.Next(1, model.VocabSize)).ToArray()).ToList();
        var queries = prompts.Select((p, k) =>
        {
            int top1 = Alone(model, p).Top1;
            int gold = k is 2 or 4 or 8 ? (top1 + 1) % model.VocabSize : top1;
            return SyntheticAttributions.Query(k == 5 ? "de" : "en", k, inputIds: p, target: gold,
                fact: k >= 6 ? $"F{k}" : SyntheticAttributions.Fact);
        }).ToList();
        return new EditProbe(queries[0], [queries[1], queries[2]], [queries[3], queries[4]], [queries[5]],
            [queries[6], queries[7], queries[8]]);
    }

    /// <summary>One query alone, unbatched: the top-1 and the full distribution at its last position, or at
    /// <paramref name="position"/>.</summary>
    private static (int Top1, double[] Probs) Alone(TransformerLM model, int[] prompt, int position = -1)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var logits = model.Logits(ForwardInputs.FromRows([prompt], 0, CPU))[0, position];
        return ((int)logits.argmax().item<long>(), logits.softmax(0).to_type(ScalarType.Float64).data<double>()
            .ToArray());
    }

    [Fact]
    public void BatchedPredictionsEqualEachQueryAlone()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", seed: 21);
        var probe = Probe(model);
        var all = probe.All.ToList();
        var got = new EditEvaluator(model, padId: 0, batchSize: 4).Predict(all,
            all.Select((_, i) => i % 3 == 0 ? -1 : 11).ToList());
        for (int i = 0; i < all.Count; i++)
        {
            var (top1, probs) = Alone(model, all[i].InputIds);
            int gold = all[i].TargetIds[0];
            Assert.Equal(top1, got[i].Top1);
            Assert.Equal(probs.Count(p => p > probs[gold]), got[i].GoldRank);
            Assert.Equal(probs[gold], got[i].GoldProb, 5);
            if (i % 3 == 0)
                Assert.True(got[i].TargetRank == -1 && double.IsNaN(got[i].TargetProb));
            else
            {
                Assert.Equal(probs.Count(p => p > probs[11]), got[i].TargetRank);
                Assert.Equal(probs[11], got[i].TargetProb, 5);
            }
        }
        // The gold is the answer on six queries and off it on three.
        Assert.Equal(6, got.Count(p => p.Correct));
    }

    [Fact]
    public void AMaskedModelIsReadAtItsMaskPosition()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("bert", seed: 23);
        int[][] prompts = [[2, 5, 9, 13, 3], [2, 4, 8, 3], [2, 12, 3, 3, 9, 1, 3]];
        var queries = prompts.Select((p, k) => SyntheticAttributions.Query("en", k, inputIds: p, target: 7)
            with { PredictionPositions = [k + 1] }).ToList();
        var got = new EditEvaluator(model, padId: 0, batchSize: 2).Predict(queries, [-1, -1, -1]);
        for (int k = 0; k < prompts.Length; k++)
        {
            var (top1, probs) = Alone(model, prompts[k], k + 1);
            Assert.Equal((top1, probs.Count(p => p > probs[7])), (got[k].Top1, got[k].GoldRank));
            Assert.Equal(probs[7], got[k].GoldProb, 5);
        }
    }

    [Fact]
    public void ErasingEverySlotIsScoredFromTheAnswersReadAlone()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", seed: 21);
        var probe = Probe(model);
        var evaluator = new EditEvaluator(model, padId: 0, batchSize: 4);
        var newTokens = new Dictionary<string, int> { ["en"] = 11, ["de"] = 12 };
        var before = evaluator.Predict(probe, newTokens);
        var beforeTop = probe.All.Select(q => Alone(model, q.InputIds).Top1).ToList();
        var every = NeuronSet.Of(Enumerable.Range(0, model.NumLayers)
            .SelectMany(l => Enumerable.Range(0, model.FfnWidth).Select(u => (l, u))));
        string hash = WeightEdit.Hash(model);
        EditScores erase;
        List<(int Top1, double[] Probs)> afterAlone;
        using (var editor = new ValueSlotEditor(model))
        {
            editor.Erase(every);
            var after = evaluator.Predict(probe, newTokens);
            erase = EditEvaluator.Score(EditOp.Erase, before, after);
            afterAlone = probe.All.Select(q => Alone(model, q.InputIds)).ToList();
            Assert.True(editor.Restore());
        }
        Assert.Equal(hash, WeightEdit.Hash(model));
        // The outputs changed: some answers moved.
        Assert.Contains(Enumerable.Range(0, 9), i => afterAlone[i].Top1 != beforeTop[i]);

        // The same shares from the answers read one query at a time: query i counts when its gold was its top-1.
        var all = probe.All.ToList();
        double? Erased(int i) => all[i].TargetIds[0] == beforeTop[i] ? (afterAlone[i].Top1 != beforeTop[i] ? 1 : 0)
            : null;
        double? Kept(int i) => all[i].TargetIds[0] == beforeTop[i] ? (afterAlone[i].Top1 == beforeTop[i] ? 1 : 0)
            : null;
        double Share(IEnumerable<double?> xs) => xs.Where(x => x.HasValue).Select(x => x!.Value)
            .DefaultIfEmpty(double.NaN).Average();
        Assert.Equal(Share([Erased(0)]), erase.Reliability);
        Assert.Equal(Share([Erased(1), Erased(2)]), erase.GeneralizationTrain);
        Assert.Equal(Share([Erased(3), Erased(4)]), erase.GeneralizationHeldout);
        Assert.Equal(Share([Erased(5)]), erase.GeneralizationLanguages);
        Assert.Equal(Share([Erased(1), Erased(2), Erased(3), Erased(4), Erased(5)]), erase.Generalization);
        Assert.Equal(Share([Kept(6), Kept(7), Kept(8)]), erase.Locality);
        Assert.False(double.IsNaN(erase.Avg));
    }

    [Fact]
    public void ActivationEditsGiveRelativeAndLogOddsChanges()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", seed: 22);
        var probe = Probe(model);
        var set = NeuronSet.Of([(0, 3), (1, 7), (2, 0)]);
        ScalingRequest[] requests = [new(probe.Edited, set, 0.0), new(probe.Edited, set, 2.0),
            new(probe.Train[0], NeuronSet.Empty, 0.0)];
        var deltas = new EditEvaluator(model, padId: 0).Scale(requests);
        var (before, after) = new SetScalingRunner(model, 0).Run(requests);
        for (int i = 0; i < requests.Length; i++)
        {
            double p0 = before[requests[i].Query.QueryId], p1 = after[i];
            Assert.Equal((p0, p1), (deltas[i].PBefore, deltas[i].PAfter));
            Assert.Equal((p1 - p0) / p0, deltas[i].Dprob, 12);
            Assert.Equal(Math.Log(p1 / (1 - p1)) - Math.Log(p0 / (1 - p0)), deltas[i].Dlogodds, 9);
        }
        Assert.NotEqual(0.0, deltas[0].Dprob);
        Assert.Equal(0.0, deltas[2].Dprob);
        // A saturated query stays finite: log-odds are clamped at p = 1 − 1e-12.
        Assert.Equal(ActivationDelta.LogOdds(1 - 1e-12), ActivationDelta.LogOdds(1.0));
        Assert.InRange(ActivationDelta.LogOdds(1.0), 27.6, 27.7);
        Assert.True(double.IsFinite(new ActivationDelta(0.5, 1.0).Dlogodds));
    }
}
