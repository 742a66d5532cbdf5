using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Options;
using KnPipeline.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace KnPipeline.Tests.Attribution;

/// <summary>The hand-written head objective against a float64 autograd reference, over many vocabulary
/// chunks.</summary>
[Collection("Torch")]
public class HeadObjectiveTests
{
    [Theory]
    [InlineData("gpt2", "prob", 7, 1.0)]
    [InlineData("bert", "logprob", 5, 1.0)]
    [InlineData("llama", "prob", 31, 1.0)]
    // Logits hundreds apart: each chunk's own maximum keeps exp finite, and the rescaling keeps the sums exact.
    [InlineData("gpt2", "logprob", 4, 400.0)]
    [InlineData("bert", "prob", 8, 300.0)]
    public void ChunkedOnlineSoftmaxEqualsFloat64Autograd(string family, string objective, int chunk,
        double hiddenScale) =>
        Check(family, objective, chunk, hiddenScale, ScalarType.Float32, 1e-5);

    [Fact]
    public void HalfPrecisionModelsAccumulateTheVocabularyInFloat32()
    {
        // bf16 logits carry ~3 significant digits; the sums over chunks must not lose more than that.
        Check("gpt2", "prob", 6, 1.0, ScalarType.BFloat16, 3e-2);
        Check("bert", "logprob", 9, 1.0, ScalarType.BFloat16, 3e-2);
    }

    private static void Check(string family, string objective, int chunk, double hiddenScale, ScalarType dtype,
        double tol)
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Build(family, 5);
        model.to(dtype);
        long d = model.HiddenSize;
        var gen = new Generator(3);
        var hidden = (randn(9, d, generator: gen) * hiddenScale).to_type(dtype);
        var targets = tensor(new long[] { 0, 3, 30, 7, 7, 12, 29, 1, 15 });
        var weights = rand(9, generator: gen);
        var parsed = objective == "logprob" ? AttributionObjective.Logprob : AttributionObjective.Prob;
        using var head = new HeadObjective(model, parsed, chunk);

        var (f, grad) = head.Evaluate(hidden, targets, weights.to_type(dtype));
        Assert.Equal(dtype, grad!.dtype);
        var (fOnly, none) = head.Evaluate(hidden.narrow(0, 0, 4), targets.narrow(0, 0, 4), null);

        var h64 = hidden.to_type(ScalarType.Float64).requires_grad_(true);
        var logits = h64.matmul(model.HeadWeight.to_type(ScalarType.Float64).t());
        if (model.HeadBias is { } b)
            logits = logits + b.to_type(ScalarType.Float64);
        var lp = logits.log_softmax(1).gather(1, targets.unsqueeze(1)).squeeze(1);
        var want = objective == "logprob" ? lp : lp.exp();
        var wantGrad = autograd.grad([(want * weights.to_type(dtype).to_type(ScalarType.Float64)).sum()], [h64])[0];

        Assert.Null(none);
        AssertClose(want.detach(), f, "F", tol);
        AssertClose(want.detach().narrow(0, 0, 4), fOnly, "F without gradient", tol);
        AssertClose(wantGrad, grad, "dF/dh", tol);
    }

    private static void AssertClose(Tensor want, Tensor got, string what, double tol)
    {
        var w = want.to_type(ScalarType.Float64).data<double>().ToArray();
        var g = got.to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.Equal(w.Length, g.Length);
        double scale = w.Max(Math.Abs);
        for (int i = 0; i < w.Length; i++)
        {
            Assert.True(double.IsFinite(g[i]), $"{what}[{i}] is {g[i]}");
            Assert.True(Math.Abs(w[i] - g[i]) <= tol * Math.Max(scale, 1e-3) + 10 * tol * Math.Abs(w[i]),
                $"{what}[{i}]: {g[i]:G6} vs {w[i]:G6}");
        }
    }
}
