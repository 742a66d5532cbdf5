using System.Diagnostics;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Models.Core;
using static TorchSharp.torch;

namespace KnPipeline.Bench;

/// <summary><c>pipeline bench forward</c>: inference tokens/s and GFLOP/s of a GPT-2-small-shaped model, against a plain matmul.</summary>
public static class ForwardBench
{
    public sealed record Result(int Batch, int Tokens, double TokensPerS, double Gflops, double MatmulGflops, double PeakMb);

    public static Result Run(int batch = 8, int tokens = 128, double seconds = 5)
    {
        var model = BenchModels.Gpt2Small();
        var prompts = BenchModels.RandomPrompts(batch, tokens, model.VocabSize, 2);
        double matmul = BenchModels.MatmulGflops();
        using var _ = inference_mode();
        var inputs = ForwardInputs.FromRows(prompts, 0, CPU);
        void Once()
        {
            using var scope = NewDisposeScope();
            model.Logits(inputs);
        }
        Once();
        int n = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds || n < 2)
        {
            Once();
            n++;
        }
        double s = sw.Elapsed.TotalSeconds;
        double tps = n * (double)batch * tokens / s;
        double gflops = n * batch * FlopCount.Forward(model.Config, tokens) / s / 1e9;
        return new Result(batch, tokens, tps, gflops, matmul, BenchModels.PeakMb());
    }
}
