using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace KnPipeline.Tests.Models.Interventions;

/// <summary>The intervention engine on tiny checkpoints whose answers are known by construction.</summary>
[Collection("Torch")]
public class NeuronInterventionsTests
{
    private static readonly int[][] Prompts = [[5, 9, 13, 2, 7, 11, 3], [4, 8, 6, 10], [12, 3, 3, 9, 1]];
    private static readonly int[] Targets = [7, 21, 4];

    private static int[] Positions(bool causal) =>
        causal ? Prompts.Select(p => p.Length - 1).ToArray() : [2, 1, 3];

    /// <summary>Rows of different sets and factors, two rows sharing a prompt, one prompt left without rows.</summary>
    private static List<InterventionRow> Rows() =>
    [
        new(0, NeuronSet.Of([(0, 3), (1, 7), (2, 0)]), 0.0),
        new(1, NeuronSet.Of([(1, 2), (1, 5)]), 2.0),
        new(0, NeuronSet.Of([(2, 11)]), 2.0),
        new(1, NeuronSet.Empty, 0.0),
        new(0, NeuronSet.Of([(0, 1)]), 1.0),
    ];

    [Fact]
    public void ScalingASetByOneLeavesTheLogitsBitIdentical()
    {
        foreach (var family in TinyModels.Families)
        {
            using var scope = NewDisposeScope();
            var model = TinyModels.Build(family, seed: 3);
            var inputs = ForwardInputs.FromRows(Prompts, 0, CPU);
            var pos = tensor(Positions(model.IsCausal).Select(p => (long)p).ToArray());
            using var _ = no_grad();
            var plain = model.Logits(inputs, pos);
            var sets = new[] { new[] { 0, 1, 1 }, new[] { 2 }, Array.Empty<int>() };
            var units = new[] { new[] { 3, 4, 9 }, new[] { 0 }, Array.Empty<int>() };
            var scaled = model.Logits(inputs, pos,
                new NeuronSetScale(pos, sets, units, [1.0, 1.0, 1.0], model.FfnWidth));
            Assert.True(plain.eq(scaled).all().item<bool>(), $"{family}: α = 1 changed the logits");
        }
    }

    [Fact]
    public void TheCachedPathEqualsFullPassesAndRowsDoNotInfluenceEachOther()
    {
        foreach (var family in new[] { "gpt2", "llama" })
        {
            using var scope = NewDisposeScope();
            var model = TinyModels.Build(family, seed: 4);
            var engine = new NeuronInterventions(model, padId: 0);
            var rows = Rows();
            var cached = engine.TargetProbabilities(Prompts, Positions(true), Targets, rows);
            var full = engine.TargetProbabilities(Prompts, Positions(true), Targets, rows, usePrefixCache: false);
            for (int i = 0; i < rows.Count; i++)
            {
                Assert.True(Math.Abs(cached[i] - full[i]) < 1e-5,
                    $"{family} row {i}: cached {cached[i]} vs full {full[i]}");
                // The same row alone in its batch: a row's set reaches no other row.
                var alone = engine.TargetProbabilities(Prompts, Positions(true), Targets, [rows[i]]);
                Assert.True(Math.Abs(alone[0] - cached[i]) < 1e-5, $"{family} row {i} alone");
            }
            // Suppressing real neurons moves the probability; α = 1 and the empty set do not.
            var plain = engine.TargetProbabilities(Prompts, Positions(true), Targets, [new(0, NeuronSet.Empty, 1.0)]);
            Assert.NotEqual(plain[0], cached[0], 6);
            Assert.Equal(plain[0], cached[4], 6);
            Assert.Throws<ArgumentException>(() => engine.TargetProbabilities(Prompts, Positions(true), Targets,
                [new(0, NeuronSet.Of([(model.NumLayers, 0)]), 0.0)]));
        }
    }

    [Fact]
    public void MaskedModelsRunFullPassesWithTheirOwnSets()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("bert", seed: 6);
        var engine = new NeuronInterventions(model, padId: 0);
        var rows = Rows();
        var got = engine.TargetProbabilities(Prompts, Positions(false), Targets, rows);
        for (int i = 0; i < rows.Count; i++)
        {
            var alone = engine.TargetProbabilities(Prompts, Positions(false), Targets, [rows[i]]);
            Assert.True(Math.Abs(alone[0] - got[i]) < 1e-5, $"row {i}");
        }
        var plain = engine.TargetProbabilities(Prompts, Positions(false), Targets, [new(0, NeuronSet.Empty, 1.0)]);
        Assert.Equal(plain[0], got[4], 6);
        Assert.NotEqual(plain[0], got[0], 6);
    }

    [Fact]
    public void AnInterventionRunsInBFloat16OnTheCpu()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("llama", seed: 7);
        var engine = new NeuronInterventions(model, padId: 0);
        var want = engine.TargetProbabilities(Prompts, Positions(true), Targets, Rows());
        model.to(ScalarType.BFloat16);
        var got = engine.TargetProbabilities(Prompts, Positions(true), Targets, Rows());
        var full = engine.TargetProbabilities(Prompts, Positions(true), Targets, Rows(), usePrefixCache: false);
        for (int i = 0; i < want.Length; i++)
        {
            Assert.True(double.IsFinite(got[i]), $"row {i}");
            // bfloat16 keeps 8 bits of mantissa: a few percent of a probability.
            Assert.True(Math.Abs(got[i] - want[i]) < 0.05, $"row {i}: bf16 {got[i]} vs fp32 {want[i]}");
            Assert.True(Math.Abs(got[i] - full[i]) < 0.05, $"row {i}: bf16 cached {got[i]} vs full {full[i]}");
        }
    }

    [Fact]
    public void ACaptureAfterAScaleSeesTheScaledActivation()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", seed: 8);
        var inputs = ForwardInputs.FromRows([Prompts[0]], 0, CPU);
        var pos = tensor(new long[] { 6 });
        var before = new ActivationCapture(pos, [1]);
        var after = new ActivationCapture(pos, [1]);
        using var _ = no_grad();
        model.Logits(inputs, pos, new InterceptorChain(before,
            new NeuronSetScale(pos, [[1, 1]], [[2, 5]], [2.0], model.FfnWidth), after));
        var a = before.Activations[1][0].data<float>().ToArray();
        var b = after.Activations[1][0].data<float>().ToArray();
        for (int u = 0; u < a.Length; u++)
            Assert.Equal(u is 2 or 5 ? 2 * a[u] : a[u], b[u]);
    }

    [Fact]
    public void AMatchedRandomSetHasTheSameLayersIsDisjointAndDependsOnlyOnSeedAndId()
    {
        var set = NeuronSet.Of([(0, 1), (0, 2), (2, 7), (3, 0), (3, 1), (3, 2)]);
        var a = set.MatchedRandom(16, seed: 1234, "P36-001|en|P36-en-1");
        Assert.Equal(set.LayerCounts(), a.LayerCounts());
        Assert.Empty(a.Pairs.Intersect(set.Pairs));
        Assert.Equal(a.Pairs, set.MatchedRandom(16, 1234, "P36-001|en|P36-en-1").Pairs);
        Assert.NotEqual(a.Pairs, set.MatchedRandom(16, 1234, "P36-002|en|P36-en-1").Pairs);
        Assert.Throws<ArgumentException>(() => NeuronSet.Of([(0, 0), (0, 1)]).MatchedRandom(3, 1, "x"));
        Assert.Equal(-0.5, NeuronInterventions.RelativeChange(0.8, 0.4), 12);
    }
}
