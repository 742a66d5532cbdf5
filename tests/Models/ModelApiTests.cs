using KnPipeline.Stages.Models;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace KnPipeline.Tests.Models;

/// <summary>The model API on tiny checkpoints the tests build themselves (no ../shared needed).</summary>
[Collection("Torch")]
public class ModelApiTests
{
    [Fact]
    public void CachedSuffixEqualsFullForwardForEveryFamilyAndPosition()
    {
        foreach (var family in TinyModels.Families)
        {
            using var scope = NewDisposeScope();
            var model = TinyModels.Build(family, seed: 5);
            var rows = new[] { new[] { 5, 9, 13, 2, 7, 11, 3 }, new[] { 4, 8, 6, 10 } };
            var inputs = ForwardInputs.FromRows(rows, 0, CPU);
            var cache = PrefixCache.Build(model, inputs);
            using var _ = no_grad();
            for (int from = 0; from < model.NumLayers; from++)
            {
                if (model.IsCausal)
                {
                    // Slots: positions 2..T_b−1 of each row (the shorter row repeats its last position as padding).
                    long[] first = [2, 2];
                    int s = rows[0].Length - 2;
                    var slotPos = tensor(Enumerable.Range(0, 2).SelectMany(b => Enumerable.Range(0, s).Select(i => (long)Math.Min(2 + i, rows[b].Length - 1))).ToArray(), [2, s]);
                    var start = from == 0 ? model.Embed(inputs.InputIds, cache.PositionIds, null) : cache.Layers[from - 1].XOut;
                    var x = start[arange(2).unsqueeze(1), slotPos].unsqueeze(1);          // [B, 1, S, d]
                    var got = cache.RunSlots(from, x, tensor(first), slotPos);
                    for (int b = 0; b < 2; b++)
                        for (int i = 0; 2 + i < rows[b].Length; i++)
                        {
                            var want = cache.Hidden[b, 2 + i];
                            Assert.True((got[b, 0, i] - want).abs().max().item<float>() < 1e-5, $"{family} from {from} row {b} pos {2 + i}");
                        }
                }
                else
                {
                    var start = from == 0 ? model.Embed(inputs.InputIds, cache.PositionIds, null) : cache.Layers[from - 1].XOut;
                    var got = cache.RunSequences(from, start.unsqueeze(1)).squeeze(1);
                    var real = inputs.AttentionMask!.to_type(ScalarType.Bool).unsqueeze(-1);
                    var diff = (got - cache.Hidden).masked_fill(real.logical_not(), 0).abs().max().item<float>();
                    Assert.True(diff < 1e-5, $"{family} from {from}: {diff}");
                }
            }
        }
    }

    [Fact]
    public void WeightEditsRestoreBitExactly()
    {
        foreach (var family in TinyModels.Families)
        {
            using var scope = NewDisposeScope();
            var model = TinyModels.Build(family, seed: 7);
            string before = WeightEdit.Hash(model);
            var ids = new ForwardInputs { InputIds = tensor(new long[] { 3, 4, 5, 6 }).unsqueeze(0) };
            float[] logitsBefore;
            using (no_grad())
                logitsBefore = model.Logits(ids).data<float>().ToArray();
            using (var edit = new WeightEdit(model))
            {
                edit.Erase(1, 3);
                edit.Add(0, 2, full(model.HiddenSize, 0.37f));
                edit.Add(0, 2, full(model.HiddenSize, 1e-7f));
                Assert.NotEqual(before, WeightEdit.Hash(model));
                Assert.Equal(0f, edit.ValueSlot(1, 3).abs().sum().item<float>());
            }
            Assert.Equal(before, WeightEdit.Hash(model));
            using (no_grad())
                Assert.Equal(logitsBefore, model.Logits(ids).data<float>().ToArray());
        }
    }

    [Fact]
    public void SaveAndReloadGivesIdenticalWeightsAndLogits()
    {
        foreach (var family in TinyModels.Families)
        {
            using var scope = NewDisposeScope();
            var model = TinyModels.Build(family, seed: 3);
            string dir = TinyModels.Save(model);
            try
            {
                var loaded = ModelLoader.Load(dir);
                Assert.Equal(WeightEdit.Hash(model), WeightEdit.Hash(loaded));
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }
    }

    [Fact]
    public void MismatchedCheckpointListsMissingUnexpectedAndMisshapedTensors()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("llama", seed: 1);
        string dir = TinyModels.Save(model);
        try
        {
            var tensors = model.named_parameters().Where(p => p.name != "model.norm.weight")
                .Select(p => (p.name, p.name == "model.layers.0.mlp.up_proj.weight" ? zeros(3, 3) : (Tensor)p.parameter))
                .Append(("model.extra.weight", zeros(2))).ToList();
            SafetensorsFile.Write(Path.Combine(dir, "model.safetensors"), tensors);
            var e = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(dir));
            Assert.Contains("missing tensors (1): model.norm.weight", e.Message);
            Assert.Contains("unexpected tensors (1): model.extra.weight", e.Message);
            Assert.Contains("model.layers.0.mlp.up_proj.weight: checkpoint [3, 3]", e.Message);
            Assert.Contains(dir, e.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void UnsupportedModelTypeNamesTheFile()
    {
        string dir = Directory.CreateTempSubdirectory("kn-model").FullName;
        File.WriteAllText(Path.Combine(dir, "config.json"), "{\"model_type\": \"t5\"}");
        var e = Assert.Throws<ModelLoadException>(() => ModelLoader.Load(dir));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("t5", e.Message);
        Directory.Delete(dir, true);
    }
}
