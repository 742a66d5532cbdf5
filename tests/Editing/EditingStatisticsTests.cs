using KnPipeline.Stages.Editing;
using KnPipeline.Stages.Records;
using Xunit;

namespace KnPipeline.Tests.Editing;

/// <summary>The reduce phase's editing figures on edits whose scores are written down by hand.</summary>
public class EditingStatisticsTests
{
    private static EditRecord Edit(string fact, string op, string selection, bool control, string cls, double cs2,
        double reliability = double.NaN, double locality = double.NaN, double pBefore = double.NaN,
        double pAfter = double.NaN, int size = 2, string phase = EditSampling.Eval) =>
        new($"{fact}|en|t1", fact, "P1", "en", "t1", phase, "dai", op, selection, control, cls, cs2, 1,
            Enumerable.Repeat(0, size).ToArray(), Enumerable.Range(0, size).ToArray(), 1, 8, 1, 1, "attribution", 0.2,
            0, -1, reliability, double.NaN, double.NaN, double.NaN, double.NaN, locality, 10, 12, pBefore, pAfter,
            double.NaN, true);

    private const string Ki = ConsistencyRecord.Consistent, Kii = ConsistencyRecord.Inconsistent;

    private static List<EditRecord> Edits() =>
    [
        Edit("f1", "update", "cas", false, Ki, 0.8, reliability: 1, locality: 0.5),
        Edit("f2", "update", "cas", false, Kii, 0.1, reliability: 0, locality: 1),
        Edit("f3", "update", "cas", false, Kii, 0.25, reliability: 1, locality: 0.75),
        // An empty selection edits nothing: left out of the row, counted apart.
        Edit("f4", "update", "cas", false, Ki, 0.9, reliability: 0, locality: 1, size: 0),
        Edit("f4", "erase", "agnostic", false, Ki, 0.9, reliability: 0, locality: 1, size: 0),
        Edit("f1", "update", "cas", true, Ki, 0.8, reliability: 0, locality: 1),
        // Dev edits never count.
        Edit("f9", "update", "cas", false, Ki, 0.8, reliability: 0, locality: 0, phase: EditSampling.Dev),
        Edit("f1", "suppress", "own", false, Ki, 0.8, pBefore: 0.5, pAfter: 0.25),
        Edit("f2", "suppress", "own", false, Kii, 0.1, pBefore: 0.4, pAfter: 0.4),
    ];

    [Fact]
    public void RowsPoolTheEvaluationEditsByClassAndLeaveEmptySelectionsOut()
    {
        var r = EditingReduction.Compute(Edits(), otsuTau: 0.2, seed: 5, resamples: 200);
        Assert.Equal(4, r.EvalFacts);
        Assert.Equal(new Dictionary<string, int> { ["agnostic"] = 1 }, r.EmptySets);
        var all = r.WeightRow("update", "cas", EditingReduction.All)!;
        Assert.Equal((2.0 / 3, 0.75, 3, 3), (all.Reliability.Mean, all.Locality.Mean, all.Reliability.Edits,
            all.Reliability.Facts));
        Assert.Equal((2.0 / 3 + double.NaN + 0.75) / 3, all.Avg);               // no generalization: no Avg
        Assert.Equal(1.0, r.WeightRow("update", "cas", EditingReduction.Ki)!.Reliability.Mean);
        Assert.Equal(0.5, r.WeightRow("update", "cas", EditingReduction.Kii)!.Reliability.Mean);
        // Otsu at 0.2 moves f3 (CS₂ 0.25) from K_II to K_I.
        var otsuKi = r.WeightRow("update", "cas", EditingReduction.Ki, EditingReduction.Otsu)!;
        Assert.Equal((1.0, 2), (otsuKi.Reliability.Mean, otsuKi.Reliability.Edits));
        // "random" is cas's control.
        Assert.Equal(0.0, r.WeightRow("update", "random", EditingReduction.All)!.Reliability.Mean);
        Assert.Null(r.WeightRow("erase", "agnostic", EditingReduction.All));
        var suppress = r.ActivationRow("suppress", "own", false)!;
        Assert.Equal(-0.25, suppress.Dprob.Mean, 12);
        Assert.InRange(suppress.Dprob.Mean, suppress.Dprob.Low, suppress.Dprob.High);
        Assert.Equal((-0.5, 0.0), (suppress.Dprob.Low, suppress.Dprob.High));
    }

    [Fact]
    public void RecordsWithoutTheirNeuronListsKeepTheirSetSizeAndFigures()
    {
        var light = Edits().Select(e => e.WithoutNeurons()).ToList();
        Assert.All(light, e => Assert.Empty(e.Layer));
        Assert.Equal(Edits().Select(e => e.SetSize), light.Select(e => e.SetSize));
        var a = EditingReduction.Compute(Edits(), 0.2, 5, 200);
        var b = EditingReduction.Compute(light, 0.2, 5, 200);
        Assert.Equal(a.Weight.Select(w => (w.SetSize, w.Reliability.Mean, w.Reliability.Low)),
            b.Weight.Select(w => (w.SetSize, w.Reliability.Mean, w.Reliability.Low)));
        Assert.Equal(a.EmptySets, b.EmptySets);
    }

    [Fact]
    public void WithoutAnOtsuThresholdThereAreNoOtsuRows()
    {
        var r = EditingReduction.Compute(Edits(), otsuTau: double.NaN, seed: 5, resamples: 100);
        Assert.DoesNotContain(r.Weight, w => w.Scheme == EditingReduction.Otsu);
        Assert.Equal(3, r.Weight.Count(w => w.Op == "update" && w.Selection == "cas" && !w.Control));
    }
}
