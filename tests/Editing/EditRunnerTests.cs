using KnPipeline.Stages.Editing;
using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Localization;
using KnPipeline.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace KnPipeline.Tests.Editing;

/// <summary>Every edit of a cell on a tiny GPT-2, against the parts it is made of.</summary>
[Collection("Torch")]
public class EditRunnerTests
{
    private static readonly int[] Text = Enumerable.Range(0, 40).Select(i => 1 + i * 7 % 30).ToArray();

    /// <summary>Six prompts whose gold is the model's own answer: edited, two rephrasings, one held-out, one in
    /// German, one unrelated.</summary>
    internal static EditProbe Probe(TransformerLM model)
    {
        int[][] prompts = [[5, 9, 13, 2], [4, 8, 6, 10, 3], [12, 3, 9], [7, 7, 1, 2], [6, 5, 4], [11, 2, 8, 9, 1]];
        var raw = prompts.Select((p, k) => SyntheticAttributions.Query(k == 4 ? "de" : "en", k, inputIds: p,
            fact: k == 5 ? "F9" : SyntheticAttributions.Fact)).ToList();
        var top = new EditEvaluator(model, 0).Predict(raw, raw.Select(_ => -1).ToList());
        var q = raw.Select((r, k) => r with { TargetIds = [top[k].Top1] }).ToList();
        return new EditProbe(q[0], [q[1], q[2]], [q[3]], [q[4]], [q[5]]);
    }

    private static EditCell Cell(EditProbe probe, IReadOnlyDictionary<string, int> newTokens) =>
        new("dai", EditSampling.Eval, "consistent", 0.5,
        [
            new EditSelection("own", NeuronSet.Of([(0, 3), (1, 7), (2, 2)]), NeuronSet.Of([(0, 4), (1, 8), (2, 9)])),
            new EditSelection("cas", NeuronSet.Empty, NeuronSet.Empty),
        ], probe, newTokens);

    [Fact]
    public void EveryEditIsRecordedRestoredAndScoredAsItsPartsScoreIt()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", seed: 51);
        string hash = WeightEdit.Hash(model);
        var probe = Probe(model);
        int newToken = (probe.Edited.TargetIds[0] + 5) % model.VocabSize;
        var newTokens = new Dictionary<string, int> { ["en"] = newToken };
        var options = new EditingOptions();
        List<EditRecord> records;
        using (var runner = new EditRunner(model, 0, options, seed: 9, Text))
        {
            records = runner.Run(Cell(probe, newTokens));
            Assert.True(runner.AllRestored);
        }
        Assert.Equal(hash, WeightEdit.Hash(model));
        // 4 ops × 2 selections × (set, control), every one restored.
        Assert.Equal(16, records.Count);
        Assert.All(records, r => Assert.True(r.Restored));
        Assert.Equal(["enhance", "erase", "suppress", "update"], records.Select(r => r.Op).Distinct().Order());
        Assert.All(records, r => Assert.Equal((probe.Edited.QueryId, "eval", 9L, 8.0), (r.QueryId, r.Phase, r.Seed,
            r.Lambda2)));

        // Suppress: the engine's figures.
        var own = NeuronSet.Of([(0, 3), (1, 7), (2, 2)]);
        var direct = new EditEvaluator(model, 0).Scale([new ScalingRequest(probe.Edited, own, 0.0)])[0];
        var suppress = records.Single(r => r.Op == "suppress" && r.Selection == "own" && !r.Control);
        // The runner scales the edited query in one batch with its probe: the same figures to float32 rounding.
        Assert.Equal(direct.PBefore, suppress.PBefore, 1e-6);
        Assert.Equal(direct.PAfter, suppress.PAfter, 1e-6);
        Assert.Equal(direct.Dlogodds, suppress.Dlogodds, 1e-4);
        Assert.True(double.IsNaN(suppress.Reliability) && double.IsNaN(suppress.PplAfter));
        // Each probe group's mean: the two training rephrasings, and the unrelated query, scaled one by one.
        var train = new EditEvaluator(model, 0).Scale(probe.Train.Select(q => new ScalingRequest(q, own, 0.0))
            .ToList());
        Assert.Equal(train.Average(d => d.Dprob), suppress.Groups.DprobTrain, 1e-5);
        Assert.Equal(train.Average(d => d.Dlogodds), suppress.Groups.DlogoddsTrain, 1e-4);
        var unrelated = new EditEvaluator(model, 0).Scale([new ScalingRequest(probe.Unrelated[0], own, 0.0)])[0];
        Assert.Equal(unrelated.Dprob, suppress.Groups.DprobUnrelated, 1e-5);
        Assert.NotEqual(0, suppress.Groups.DprobTrain);

        // Update: the editor and evaluator by hand give the same scores and perplexity.
        var evaluator = new EditEvaluator(model, 0);
        var before = evaluator.Predict(probe, newTokens);
        double pplBefore = new Perplexity(model, 0).Of(Text);
        EditScores want;
        double pplAfter;
        using (var editor = new ValueSlotEditor(model))
        {
            editor.Update(own, probe.Edited.TargetIds[0], newToken, 1.0, 8.0);
            want = EditEvaluator.Score(EditOp.Update, before, evaluator.Predict(probe, newTokens));
            pplAfter = new Perplexity(model, 0).Of(Text);
            Assert.True(editor.Restore());
        }
        var update = records.Single(r => r.Op == "update" && r.Selection == "own" && !r.Control);
        Assert.Equal((want.Reliability, want.Generalization, want.Locality, newToken),
            (update.Reliability, update.Generalization, update.Locality, update.NewObjectToken));
        Assert.Equal((pplBefore, pplAfter), (update.PplBefore, update.PplAfter));
        Assert.NotEqual(update.PplBefore, update.PplAfter);

        // An empty set edits nothing: the old answer stays (reliability 0), every probe keeps its answer.
        var empty = records.Single(r => r.Op == "erase" && r.Selection == "cas" && !r.Control);
        Assert.Equal((0.0, 1.0, 0.0, pplBefore), (empty.Reliability, empty.Locality, empty.Dprob, empty.PplAfter));
        Assert.Equal(0, empty.SetSize);
    }

    [Fact]
    public void WithoutANewObjectThereIsNoUpdateAndTheGridValueIsRecorded()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", seed: 52);
        var probe = Probe(model);
        using var runner = new EditRunner(model, 0, new EditingOptions(), seed: 9, pplTokens: null);
        var none = runner.Run(Cell(probe, new Dictionary<string, int>()));
        Assert.Equal(12, none.Count);
        Assert.DoesNotContain(none, r => r.Op == "update");
        Assert.All(none, r => Assert.True(double.IsNaN(r.PplBefore)));
        var grid = runner.Run(Cell(probe, new Dictionary<string, int> { ["en"] = 3 }), [EditOp.Update], lambda2: 2);
        Assert.Equal(4, grid.Count);
        Assert.All(grid, r => Assert.Equal(("update", 2.0, 3), (r.Op, r.Lambda2, r.NewObjectToken)));
    }
}
