using KnPipeline.Stages.Editing;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Tests.Localization;
using KnPipeline.Tests.Support;
using TorchSharp;
using Xunit;

namespace KnPipeline.Tests.Editing;

/// <summary>An edit cycle leaves no tensor behind: editing streams over thousands of facts on the device thread.
/// </summary>
[Collection("Torch")]
public class EditingMemoryTests
{
    [Fact]
    public void AnEditCycleLeavesNoLiveTensorAndCreatesNoneOutsideAScope()
    {
        var model = TinyModels.Build("gpt2", seed: 41);
        var q = SyntheticAttributions.Query("en", 1, inputIds: [5, 9, 13, 2], target: 7);
        var probe = new EditProbe(q, [q with { QueryId = "b" }], [], [], [q with { QueryId = "c" }]);
        var evaluator = new EditEvaluator(model, padId: 0);
        var ppl = new Perplexity(model, padId: 0);
        using var editor = new ValueSlotEditor(model);
        var set = NeuronSet.Of([(0, 3), (2, 7)]);
        void Cycle()
        {
            var before = evaluator.Predict(probe);
            double p0 = ppl.Of([3, 4, 5, 6, 7, 8]);
            editor.Update(set, 7, 21, 1, 8);
            editor.Erase(set);
            EditEvaluator.Score(EditOp.Erase, before, evaluator.Predict(probe));
            Assert.NotEqual(p0, ppl.Of([3, 4, 5, 6, 7, 8]));
            Assert.True(editor.Restore());
            evaluator.Scale([new(q, set, 0.0)]);
        }
        Cycle();
        var stats = DisposeScopeManager.Statistics;
        stats.Reset();
        for (int i = 0; i < 3; i++)
            Cycle();
        Assert.Equal(0, stats.CreatedOutsideScopeCount);
        Assert.Equal(0, stats.ThreadTotalLiveCount);
    }
}
