using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Tests.Support;
using Xunit;
using static TorchSharp.torch;
using static KnPipeline.Tests.Support.TestQueries;

namespace KnPipeline.Tests.Attribution;

/// <summary>Properties of the IG engine on self-built tiny models: fast equals naive in every mode.</summary>
[Collection("Torch")]
public class IntegratedGradientsTests
{
    private static void AssertAgree(QueryAttribution a, QueryAttribution b, string what)
    {
        Assert.Equal(a.FA, b.FA, 5);
        for (int l = 0; l < a.Layers.Count; l++)
        {
            double scale = b.Layers[l].Attributions.Max(x => Math.Abs((double)x));
            double diff = a.Layers[l].Attributions.Zip(b.Layers[l].Attributions)
                .Max(p => Math.Abs((double)p.First - p.Second));
            Assert.True(diff <= 1e-4 * scale + 1e-7, $"{what} layer {l}: fast−naive {diff:G3} vs layer max {scale:G3}");
            Assert.Equal(a.Layers[l].FBaseline, b.Layers[l].FBaseline, 5);
        }
    }

    [Fact]
    public void AllTokenTargetsAgreeBetweenFastAndNaiveForCausalAndMaskedModels()
    {
        using var scope = NewDisposeScope();
        foreach (var family in new[] { "gpt2", "llama", "bert" })
        {
            var model = TinyModels.Build(family, 11);
            var queries = model.IsCausal
                ? new[]
                {
                    Causal("a", [3, 4, 5, 6, 7], [8, 9, 10]), Causal("b", [11, 12, 13], [14]),
                    Causal("c", [15, 16, 17, 18], [19, 20])
                }
                : new[] { Masked("a", [3, 4], 3, [5], [8, 9, 10]), Masked("b", [11, 12, 13], 1, [6, 7], [14]) };
            foreach (var objective in new[] { AttributionObjective.Prob, AttributionObjective.Logprob })
            {
                using var fast = new IntegratedGradients(model, new AttributionOptions
                {
                    Steps = 6, Objective = objective, Algorithm = AttributionAlgorithm.Fast
                });
                using var naive = new IntegratedGradients(model, new AttributionOptions
                {
                    Steps = 6, Objective = objective, Algorithm = AttributionAlgorithm.Naive
                });
                var f = fast.Run(queries);
                var n = naive.Run(queries);
                for (int i = 0; i < queries.Length; i++)
                    AssertAgree(f[i], n[i], $"{family} {objective} {queries[i].Id}");
            }
        }
    }

    [Fact]
    public void LayerSubsetsAndBaselinesAgreeAndGaussLegendreIsComplete()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", 4);
        var q = Causal("q", [3, 4, 5, 6, 7, 8], [9]);
        var amig = new AmigBaseline(model, replacementId: 0, specialIds: new HashSet<int>(), padId: 0);
        amig.Prepare([q], [0, 1, 2]);
        var fast = new IntegratedGradients(model,
            new AttributionOptions { Steps = 24, Rule = IntegrationRule.GaussLegendre, Layers = [2, 0] });
        var naive = new IntegratedGradients(model, new AttributionOptions
        {
            Steps = 24, Rule = IntegrationRule.GaussLegendre, Layers = [0, 2], Algorithm = AttributionAlgorithm.Naive
        });
        var rf = fast.Run([q], amig)[0];
        var rn = naive.Run([q], amig)[0];
        Assert.Equal([0, 2], rf.Layers.Select(l => l.Layer));
        AssertAgree(rf, rn, "amig gauss-legendre");
        // 24-point Gauss–Legendre integrates this smooth path almost exactly: completeness holds.
        foreach (var l in rf.Layers)
            Assert.True(Math.Abs(l.Gap) < 1e-4 * Math.Max(1e-3, Math.Abs(rf.FA - l.FBaseline)) + 1e-6,
                $"layer {l.Layer} gap {l.Gap:G3}");

        // The AMIG baseline is the mean of the activations of the one-token-replaced copies.
        var copies = Enumerable.Range(0, q.InputIds.Length)
            .Select(i => { var c = (int[])q.InputIds.Clone(); c[i] = 0; return c; }).ToList();
        var capture = new ActivationCapture(full(copies.Count, (long)q.PredictionPosition), [2]);
        using (no_grad())
            model.ForwardHidden(ForwardInputs.FromRows(copies, 0, CPU), capture);
        var want = capture.Activations[2].mean([0L]).data<float>().ToArray();
        Assert.Equal(want, amig.Baseline(q, 2));
    }

    [Fact]
    public void AmigPreparedForManyQueriesAtOnceEqualsEachAloneToRounding()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", 4);
        // Different lengths, so the shared pass pads the shorter queries' copies.
        var qs = new[]
        {
            Causal("a", [3, 4, 5, 6, 7, 8], [9]), Causal("b", [10, 11, 12], [13]), Causal("c", [5, 9, 14, 2], [3]),
        };
        var together = new AmigBaseline(model, replacementId: 0, specialIds: new HashSet<int>(), padId: 0);
        together.Prepare(qs, [0, 1]);
        foreach (var q in qs)
        {
            var alone = new AmigBaseline(model, replacementId: 0, specialIds: new HashSet<int>(), padId: 0);
            alone.Prepare([q], [0, 1]);
            foreach (int l in new[] { 0, 1 })
            {
                var want = alone.Baseline(q, l)!;
                var got = together.Baseline(q, l)!;
                Assert.Equal(want.Length, got.Length);
                for (int i = 0; i < want.Length; i++)
                    Assert.True(Math.Abs(want[i] - got[i]) <= 1e-5 * Math.Max(1, Math.Abs(want[i])),
                        $"query {q.Id} layer {l} unit {i}: {got[i]} != {want[i]}");
            }
            // Its copies' mean differs from the other queries': each query gets its own rows.
            Assert.NotEqual(together.Baseline(qs[0], 0), together.Baseline(q == qs[0] ? qs[1] : q, 0));
        }
    }

    [Fact]
    public void BatchCompositionDoesNotChangeResultsBeyondRounding()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("llama", 9);
        var qs = Enumerable.Range(0, 5)
            .Select(i => Causal($"q{i}", Enumerable.Range(3 + i, 4 + i).ToArray(), [20 + i])).ToArray();
        using var engine = new IntegratedGradients(model, new AttributionOptions { Steps = 5 });
        var together = engine.Run(qs);
        var alone = qs.Select(q => engine.Run([q])[0]).ToList();
        for (int i = 0; i < qs.Length; i++)
            AssertAgree(together[i], alone[i], $"q{i}");
        // The same batch twice gives bit-identical numbers.
        var again = engine.Run(qs);
        Assert.Equal(together.SelectMany(r => r.Layers.SelectMany(l => l.Attributions)),
            again.SelectMany(r => r.Layers.SelectMany(l => l.Attributions)));
    }

    [Fact]
    public void PackerFillsBudgetsInOrderAndHalvesOnOutOfMemory()
    {
        var packer = new BatchPacker(rowBudget: 10);
        var batches = packer.Pack(Enumerable.Range(1, 7), x => 4, x => 1).ToList();
        Assert.Equal([[1, 2], [3, 4], [5, 6], [7]], batches.Select(b => b.ToArray()));
        var big = packer.Pack([1, 2], x => 25, x => 1).ToList();
        Assert.Equal(2, big.Count);
        var tokens = new BatchPacker(100, tokenBudget: 50).Pack(Enumerable.Range(1, 4), x => 2, x => 10).ToList();
        Assert.Equal([[1, 2], [3, 4]], tokens.Select(b => b.ToArray()));

        int calls = 0;
        var result = packer.RunWithOomRetry<int, int>([1, 2, 3, 4], b =>
        {
            calls++;
            if (b.Count > 1)
                throw new ExternalException("CUDA out of memory. Tried to allocate 2.00 GiB");
            return b.Select(x => x * 10).ToList();
        });
        Assert.Equal([10, 20, 30, 40], result);
        // [1..4] failed, then [1, 2] and [3, 4]: three halvings of the budget of 10.
        Assert.Equal(3, packer.Halvings);
        Assert.Equal(1, packer.RowBudget);
        Assert.Throws<InvalidOperationException>(() =>
            packer.RunWithOomRetry<int, int>([1, 2], b => throw new InvalidOperationException("a real bug")));
    }

    private sealed class ExternalException(string message) : Exception(message);

    [Fact]
    public void NonFiniteResultsAreFlagged()
    {
        var ok = new QueryAttribution("a", 0.5, 0.5, -0.69, 0, [new LayerAttribution(0, 0.1, 0.4, 0, [0.1f, 0.3f])]);
        var bad = ok with { Layers = [new LayerAttribution(0, 0.1, double.NaN, 0, [float.NaN, 0.3f])] };
        Assert.False(ok.NonFinite);
        Assert.True(bad.NonFinite);
    }
}
