using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Options;
using KnPipeline.Tests.Support;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static KnPipeline.Tests.Support.TestQueries;

namespace KnPipeline.Tests.Attribution;

/// <summary>The adaptive rule inside the IG engine, on the tiny models the goldens use.</summary>
[Collection("Torch")]
public class AdaptiveIntegratedGradientsTests(ITestOutputHelper output)
{
    private static AttributionQuery[] Queries(TransformerLM model) => model.IsCausal
        ? [Causal("a", [3, 4, 5, 6, 7], [8, 9, 10]), Causal("b", [11, 12, 13], [14]),
           Causal("c", [15, 16, 17, 18], [19, 20])]
        : [Masked("a", [3, 4], 3, [5], [8, 9, 10]), Masked("b", [11, 12, 13], 1, [6, 7], [14])];

    // The tiny models' paths from a zero baseline are smooth: the first 5 points meet 1e-3 on every path. A baseline
    // this far from the activations makes the paths steep enough that most refine for 1–3 rounds (at 1e-3).
    private const float Far = 40;

    /// <summary>A fixed non-zero baseline per layer, like AMIG's or the dataset mean's.</summary>
    private sealed class FixedBaselines(int width, float scale = 1) : IBaselineProvider
    {
        public float[]? Baseline(AttributionQuery query, int layer) =>
            Enumerable.Range(0, width).Select(i => scale * (0.05f * ((i * 7 + layer) % 5) - 0.1f)).ToArray();
    }

    private static AttributionOptions Adaptive(AttributionAlgorithm algorithm = AttributionAlgorithm.Fast,
        AttributionObjective objective = AttributionObjective.Prob, double tolerance = 0.01, int maxSteps = 64) => new()
    {
        Rule = IntegrationRule.Adaptive, Tolerance = tolerance, MaxSteps = maxSteps, Algorithm = algorithm,
        Objective = objective,
    };

    [Theory]
    [InlineData("gpt2", 5)]
    [InlineData("bert", 6)]
    [InlineData("llama", 7)]
    public void AttributionsConvergeToA1000StepReferenceWithinTheTolerance(string family, int seed)
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build(family, seed);
        var qs = Queries(model);
        using var reference = new IntegratedGradients(model,
            new AttributionOptions { Rule = IntegrationRule.Trapezoid, Steps = 1000 });
        using var right = new IntegratedGradients(model, new AttributionOptions { Steps = 20 });
        foreach (var baselines in new[] { null, new FixedBaselines(model.FfnWidth, Far) })
        {
            string what = $"{family}, {(baselines is null ? "zero" : "far")} baseline";
            var want = reference.Run(qs, baselines);
            var r20 = right.Run(qs, baselines);
            var errs = new List<double>();
            foreach (double tol in new[] { 1e-2, 1e-3 })
            {
                using var adaptive = new IntegratedGradients(model, Adaptive(tolerance: tol));
                var got = adaptive.Run(qs, baselines);
                var paths = want.SelectMany((r, i) => r.Layers.Select((l, k) => (l, got[i].Layers[k], got[i].FA)));
                foreach (var (w, g, fa) in paths)
                {
                    Assert.Equal(IntegrationRule.Adaptive, g.Rule);
                    Assert.True(g.ToleranceMet, $"{what}: layer {g.Layer} missed {tol} with {g.Points} points");
                    Assert.True(g.RelativeGap(fa) <= tol);
                    // The sum of the attributions is what the tolerance bounds: it matches the reference's sum.
                    Assert.True(Math.Abs(g.Sum - w.Sum) <= (tol + 1e-4) * Math.Abs(fa - w.FBaseline),
                                $"{what}: layer {g.Layer}");
                    Assert.Equal(w.FBaseline, g.FBaseline, 6);
                }
                var err = NeuronErrors(want, got);
                errs.Add(err.Max());
                string points = string.Join(" ", got.SelectMany(r => r.Layers.Select(l => l.Points)));
                output.WriteLine($"{what}, tolerance {tol}: points {points}; largest neuron error / layer max " +
                                 $"{err.Max():G3} (right-20 {NeuronErrors(want, r20).Max():G3})");
                // Single neurons' errors may partly cancel in the sum (so the gap can understate them), but stay of
                // the tolerance's order against the layer's largest attribution.
                Assert.True(err.Max() <= 2 * tol,
                            $"{what}: neuron error {err.Max():G3} of the layer max at tolerance {tol}");
            }
            // Converging: a 10 times smaller tolerance gives a smaller error (or both sit at float32 rounding).
            Assert.True(errs[1] < errs[0] || errs[0] < 1e-4, $"{what}: {errs[0]:G3} then {errs[1]:G3}");
        }
    }

    /// <summary>Per (query, layer): max_i |attr_i − reference_i| / max_i |reference_i|.</summary>
    private static List<double> NeuronErrors(IReadOnlyList<QueryAttribution> want,
                                             IReadOnlyList<QueryAttribution> got) =>
        want.SelectMany((r, i) => r.Layers.Select((w, l) =>
            w.Attributions.Zip(got[i].Layers[l].Attributions).Max(p => Math.Abs((double)p.First - p.Second)) /
            w.Attributions.Max(x => Math.Abs((double)x)))).ToList();

    [Fact]
    public void FastAndNaiveAgreeUnderAdaptiveWithBaselinesAllTokenTargetsAndBothObjectives()
    {
        using var scope = NewDisposeScope();
        foreach (var family in new[] { "gpt2", "llama", "bert" })
        {
            var model = TinyModels.Build(family, 11);
            var qs = Queries(model);
            var baselines = new FixedBaselines(model.FfnWidth, Far);
            foreach (var objective in new[] { AttributionObjective.Prob, AttributionObjective.Logprob })
            {
                using var fast = new IntegratedGradients(model,
                    Adaptive(AttributionAlgorithm.Fast, objective, 1e-3, 200));
                using var naive = new IntegratedGradients(model,
                    Adaptive(AttributionAlgorithm.Naive, objective, 1e-3, 200));
                var f = fast.Run(qs, baselines);
                var n = naive.Run(qs, baselines);
                output.WriteLine($"{family} {objective}: points " +
                                 string.Join(" ", f.SelectMany(r => r.Layers.Select(l => l.Points))));
                Assert.Contains(f.SelectMany(r => r.Layers), l => l.Points > AdaptivePath.FirstPoints);
                for (int i = 0; i < qs.Length; i++)
                    for (int l = 0; l < f[i].Layers.Count; l++)
                    {
                        var (a, b) = (f[i].Layers[l], n[i].Layers[l]);
                        string what = $"{family} {objective} {qs[i].Id} layer {l}";
                        Assert.True(a.Points == b.Points, $"{what}: fast {a.Points} points, naive {b.Points}");
                        Assert.Equal(a.ToleranceMet, b.ToleranceMet);
                        double scale = b.Attributions.Max(x => Math.Abs((double)x));
                        double diff = a.Attributions.Zip(b.Attributions).Max(p => Math.Abs((double)p.First - p.Second));
                        Assert.True(diff <= 1e-4 * scale + 1e-7,
                                    $"{what}: fast−naive {diff:G3} vs layer max {scale:G3}");
                        Assert.Equal(b.FBaseline, a.FBaseline, 5);
                    }
            }
        }
    }

    [Fact]
    public void RefinementIsAFunctionOfTheWorkNotOfCallSizesOrWorkers()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", 3);
        var qs = Enumerable.Range(0, 5)
            .Select(i => Causal($"q{i}", Enumerable.Range(3 + i, 4 + i % 3).ToArray(), [20 + i, 21 - i])).ToArray();
        var options = Adaptive(tolerance: 1e-3, maxSteps: 200);
        using var big = new IntegratedGradients(model, options);
        // Refinement calls of one 6-row group each, on one worker: other float sums, the same schedule.
        var smallOptions = new AttributionOptions
        {
            Rule = IntegrationRule.Adaptive, Tolerance = 1e-3, MaxSteps = 200, BatchRows = 6, CpuWorkers = 1,
        };
        using var tiny = new IntegratedGradients(model, smallOptions);
        var far = new FixedBaselines(model.FfnWidth, Far);
        var a = big.Run(qs, far);
        var b = tiny.Run(qs, far);
        var again = big.Run(qs, far);
        Assert.Contains(a.SelectMany(r => r.Layers), l => l.Points > AdaptivePath.FirstPoints);
        Assert.Equal(a.SelectMany(r => r.Layers.SelectMany(l => l.Attributions)),
                     again.SelectMany(r => r.Layers.SelectMany(l => l.Attributions)));
        for (int i = 0; i < qs.Length; i++)
            for (int l = 0; l < a[i].Layers.Count; l++)
            {
                Assert.Equal(a[i].Layers[l].Points, b[i].Layers[l].Points);
                double scale = a[i].Layers[l].Attributions.Max(x => Math.Abs((double)x));
                Assert.True(a[i].Layers[l].Attributions.Zip(b[i].Layers[l].Attributions)
                    .All(p => Math.Abs(p.First - p.Second) <= 1e-5 * scale + 1e-9), $"q{i} layer {l}");
            }
    }

    [Fact]
    public void FixedRulesReportTheirPointsAndWhetherTheyMetTheTolerance()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build("gpt2", 5);
        var q = Causal("q", [3, 4, 5, 6], [7]);
        using var right = new IntegratedGradients(model, new AttributionOptions { Steps = 20 });
        using var adaptive = new IntegratedGradients(model, Adaptive());
        Assert.Equal(21 * model.NumLayers, right.RowsPerQuery);
        Assert.Equal(AdaptivePath.FirstPoints * model.NumLayers, adaptive.RowsPerQuery);
        var r = right.Run([q])[0];
        foreach (var l in r.Layers)
        {
            Assert.Equal(IntegrationRule.Right, l.Rule);
            Assert.Equal(20, l.Points);
            Assert.Equal(l.RelativeGap(r.FA) <= 0.01, l.ToleranceMet);
        }
    }
}
