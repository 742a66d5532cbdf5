using KnPipeline.Stages.Editing;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Options;
using KnPipeline.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace KnPipeline.Tests.Editing;

/// <summary>Value-slot edits on tiny checkpoints: what changes, by how much, and that everything comes back.</summary>
[Collection("Torch")]
public class ValueSlotEditorTests
{
    private static readonly NeuronSet Set = NeuronSet.Of([(0, 3), (2, 7), (2, 11)]);
    private static readonly int[][] Prompts = [[5, 9, 13, 2, 7, 11, 3], [4, 8, 6, 10]];

    private static double[] Slot(TransformerLM model, int layer, int unit) => new WeightEdit(model)
        .ValueSlot(layer, unit).to_type(ScalarType.Float64).cpu().data<double>().ToArray();

    private static double[] Row(Tensor table, int token) =>
        table[token].to_type(ScalarType.Float64).cpu().data<double>().ToArray();

    private static double Norm(double[] v) => Math.Sqrt(v.Sum(x => x * x));

    /// <summary>Dai et al.'s rule, by hand in float64.</summary>
    private static double[] Updated(double[] v, double[] eOld, double[] eNew, double l1, double l2) =>
        v.Select((x, i) => x - l1 * Norm(v) / Norm(eOld) * eOld[i] + l2 * Norm(v) / Norm(eNew) * eNew[i]).ToArray();

    private static double MaxDiff(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    private static Tensor Logits(TransformerLM model)
    {
        using var _ = no_grad();
        return model.Logits(ForwardInputs.FromRows(Prompts, 0, CPU)).clone();
    }

    [Fact]
    public void EraseZeroesExactlyTheSetsSlotsAndTheRestoreIsBitExact()
    {
        foreach (var family in new[] { "gpt2", "llama" })
        {
            using var scope = NewDisposeScope();
            var model = TinyModels.Build(family, seed: 11);
            string hash = WeightEdit.Hash(model);
            var plain = Logits(model);
            var before = Enumerable.Range(0, model.NumLayers).Select(l => Enumerable.Range(0, model.FfnWidth)
                .Select(u => Slot(model, l, u)).ToArray()).ToArray();
            using var editor = new ValueSlotEditor(model);
            editor.Erase(Set);
            Assert.Equal(3, editor.EditedSlots);
            for (int l = 0; l < model.NumLayers; l++)
                for (int u = 0; u < model.FfnWidth; u++)
                    if (Set.Pairs.Contains((l, u)))
                        Assert.All(Slot(model, l, u), x => Assert.Equal(0.0, x));
                    else
                        Assert.Equal(before[l][u], Slot(model, l, u));
            Assert.False(plain.eq(Logits(model)).all().item<bool>(), $"{family}: erasing three slots changed nothing");
            Assert.True(editor.Restore(), family);
            Assert.Equal(hash, WeightEdit.Hash(model));
            Assert.True(plain.eq(Logits(model)).all().item<bool>(), family);
            Assert.True(editor.AllRestored);
        }
    }

    [Fact]
    public void UpdateFollowsTheRuleOnEachSlotAndComposesWithErase()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", seed: 12);
        string hash = WeightEdit.Hash(model);
        var v = Slot(model, 2, 7);
        var neighbour = Slot(model, 2, 8);
        var want = Updated(v, Row(model.InputEmbedding, 7), Row(model.InputEmbedding, 21), 1.0, 8.0);
        using var editor = new ValueSlotEditor(model);
        editor.Update(NeuronSet.Of([(2, 7)]), oldToken: 7, newToken: 21, lambda1: 1.0, lambda2: 8.0);
        Assert.True(MaxDiff(want, Slot(model, 2, 7)) < 1e-6, $"max diff {MaxDiff(want, Slot(model, 2, 7))}");
        Assert.True(MaxDiff(v, Slot(model, 2, 7)) > 0.5);
        Assert.Equal(neighbour, Slot(model, 2, 8));
        // A second op of the same edit starts from the updated slot; the restore still returns the original.
        editor.Erase(Set);
        Assert.Equal(3, editor.EditedSlots);
        Assert.True(editor.Restore());
        Assert.Equal(hash, WeightEdit.Hash(model));
        Assert.Throws<ArgumentOutOfRangeException>(() => editor.Update(Set, 7, model.VocabSize, 1, 8));
    }

    [Fact]
    public void AnUntiedModelCanUpdateAlongItsOutputEmbedding()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("llama", seed: 13);
        var v = Slot(model, 1, 5);
        var output = Updated(v, Row(model.HeadWeight, 4), Row(model.HeadWeight, 9), 1.0, 2.0);
        var input = Updated(v, Row(model.InputEmbedding, 4), Row(model.InputEmbedding, 9), 1.0, 2.0);
        using var editor = new ValueSlotEditor(model, UntiedEmbedding.Output);
        editor.Update(NeuronSet.Of([(1, 5)]), 4, 9, 1.0, 2.0);
        Assert.True(MaxDiff(output, Slot(model, 1, 5)) < 1e-6);
        Assert.True(MaxDiff(input, Slot(model, 1, 5)) > 1e-2, "the output rows equal the input rows");
        Assert.True(editor.Restore());
    }

    [Fact]
    public void BFloat16WeightsAreEditedAndRestoredBitExactly()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", seed: 14);
        model.to(ScalarType.BFloat16);
        string hash = WeightEdit.Hash(model);
        var v = Slot(model, 0, 3);
        var want = Updated(v, Row(model.InputEmbedding, 7), Row(model.InputEmbedding, 21), 1.0, 8.0);
        using var editor = new ValueSlotEditor(model);
        editor.Update(Set, 7, 21, 1.0, 8.0);
        Assert.Equal(ScalarType.BFloat16, model.FfnValueWeight(0, out _).dtype);
        // bfloat16 keeps 8 significant bits: the step is rounded once, the sum once more.
        double scale = want.Max(Math.Abs);
        Assert.True(MaxDiff(want, Slot(model, 0, 3)) < 0.01 * scale, $"max diff {MaxDiff(want, Slot(model, 0, 3))}");
        Assert.True(editor.Restore());
        Assert.Equal(hash, WeightEdit.Hash(model));
        editor.Erase(Set);
        Assert.All(Slot(model, 2, 11), x => Assert.Equal(0.0, x));
        Assert.True(editor.Restore());
        Assert.Equal(hash, WeightEdit.Hash(model));
    }

    [Fact]
    public void ATamperedSlotFailsTheCheckAndClearsTheRunFlag()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", seed: 15);
        using var editor = new ValueSlotEditor(model);
        editor.Erase(Set);
        // Tampering during the edit is undone: the restore copies the saved bits back, it does not recompute them.
        using (no_grad())
            new WeightEdit(model).ValueSlot(2, 7).fill_(5.0f);
        Assert.Throws<InvalidOperationException>(() => editor.Verify());
        Assert.True(editor.Restore());
        Assert.True(editor.AllRestored);
        // A slot changed after the restore (a second writer, a stray in-place op) fails the check by its bits.
        var original = Slot(model, 2, 11);
        using (no_grad())
        {
            var slot = new WeightEdit(model).ValueSlot(2, 11);
            slot[0] = slot[0] * 1.0000001f + 1e-7f;
        }
        Assert.NotEqual(original, Slot(model, 2, 11));
        Assert.False(editor.Verify());
        Assert.False(editor.AllRestored);
        // The flag stays down for the rest of the run, even after clean edits.
        editor.Erase(NeuronSet.Of([(1, 1)]));
        Assert.True(editor.Restore());
        Assert.False(editor.AllRestored);
    }
}
