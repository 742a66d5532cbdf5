using KnPipeline.Stages.Editing;
using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Options;
using KnPipeline.Tests.Localization;
using KnPipeline.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace KnPipeline.Tests.Editing;

/// <summary>The dev pass's choice on a tiny GPT-2: the grid it walks, and that it keeps the best point.</summary>
[Collection("Torch")]
public class EditTunerTests
{
    /// <summary>The cas set grows with β₂ and t here, so the grid points differ.</summary>
    private static List<EditCell> CellsAt(EditingOptions o, EditProbe probe, int newToken)
    {
        int n = 1 + (int)(o.Beta2 * 2) + (int)(o.SelectionThreshold * 10);
        var cas = NeuronSet.Of(Enumerable.Range(0, n).Select(i => (i % 2, 3 + i)));
        var own = NeuronSet.Of([(0, 3), (1, 7)]);
        return
        [
            new EditCell("dai", EditSampling.Dev, "", double.NaN,
            [
                new EditSelection("own", own, NeuronSet.Of([(0, 20), (1, 21)])),
                new EditSelection("cas", cas, cas.MatchedRandomOrEmpty(24, 3, "x")),
            ], probe, new Dictionary<string, int> { ["en"] = newToken }) { Settings = o },
        ];
    }

    [Fact]
    public void TheChosenPointIsTheGridsBestAndEveryRecordIsADevEdit()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", seed: 61);
        var probe = EditRunnerTests.Probe(model);
        int newToken = (probe.Edited.TargetIds[0] + 3) % model.VocabSize;
        var options = new EditingOptions { Beta2Grid = [0.0, 1.0], ThresholdGrid = [0.1, 0.3], Lambda2Grid = [1, 4] };
        using var runner = new EditRunner(model, 0, options, seed: 3, pplTokens: null);
        var (result, records) = EditTuner.Tune(options, o => CellsAt(o, probe, newToken), runner, devFacts: 1,
            attributeSeconds: 0.5);

        var selection = result.Grid.Where(p => p.Step == "selection").ToList();
        Assert.Equal(4, selection.Count);
        Assert.All(selection, p => Assert.Equal(("cas", false, 8.0), (p.Selection, p.Control, p.Lambda2)));
        var bestSelection = selection.OrderByDescending(p => p.Avg).First();
        Assert.Equal((bestSelection.Beta2, bestSelection.Threshold), (result.Beta2, result.Threshold));

        // The λ₂ step: own, cas and cas's control at every λ₂ (the trade-off curves), at the chosen selection.
        var curve = result.Grid.Where(p => p.Step == "lambda2").ToList();
        Assert.Equal(6, curve.Count);
        Assert.Equal(["cas", "cas", "own"], curve.Where(p => p.Lambda2 == 1).Select(p => p.Selection).Order());
        Assert.All(curve, p => Assert.Equal((result.Beta2, result.Threshold), (p.Beta2, p.Threshold)));
        var best = curve.Where(p => p.Selection == "cas" && !p.Control).OrderByDescending(p => p.Avg).First();
        Assert.Equal(best.Lambda2, result.Lambda2);
        Assert.True(result.Tuned);
        Assert.Equal(4 + 2 * 3, records.Count);
        Assert.All(records, r => Assert.Equal((EditSampling.Dev, "update", true), (r.Phase, r.Op, r.Restored)));
        Assert.All(records, r => Assert.True(double.IsNaN(r.PplAfter)));          // no ΔPPL in the dev pass
        Assert.Equal((1, 1, records.Count, 0.5), (result.DevFacts, result.DevCells, result.DevEdits,
            result.AttributeSeconds));
        Assert.Equal(result.Lambda2, result.Apply(options).Lambda2);
    }

    [Fact]
    public void WithoutTuningTheConfiguredValuesStandAndNothingIsEdited()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", seed: 61);
        var options = new EditingOptions { Tune = false, Beta2 = 0.5, Lambda2 = 3 };
        using var runner = new EditRunner(model, 0, options, seed: 3, pplTokens: null);
        var (result, records) = EditTuner.Tune(options, _ => throw new InvalidOperationException("no cells"),
            runner, devFacts: 2, attributeSeconds: 0);
        Assert.Empty(records);
        Assert.Equal((false, 0.5, 3.0, 0.2), (result.Tuned, result.Beta2, result.Lambda2, result.Threshold));
    }
}
