using TorchSharp;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Models;

/// <summary>
/// TorchSharp loads and a small network built in memory runs forward and backward: the first thing to try on a new
/// machine (the native library, its libstdc++ needs and the intra-op pool all show up here).
/// </summary>
public static class SelfCheck
{
    public sealed record Result(string TorchSharpVersion, string Device, int Threads, float Loss, double GradientNorm)
    {
        public bool Ok => GradientNorm > 0 && float.IsFinite(Loss);
    }

    public static Result Run()
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        var model = nn.Sequential(("fc1", nn.Linear(16, 32)), ("act", nn.GELU()), ("fc2", nn.Linear(32, 4)));
        var x = randn(8, 16);
        var loss = nn.functional.cross_entropy(model.call(x), randint(0, 4, [8]));
        loss.backward();
        double gradNorm = model.parameters().Sum(p => p.grad!.norm().item<float>());
        return new Result(typeof(torch).Assembly.GetName().Version?.ToString() ?? "?",
            cuda.is_available() ? "cuda" : "cpu", get_num_threads(), loss.item<float>(), gradNorm);
    }
}
