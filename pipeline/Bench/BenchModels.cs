using System.Diagnostics;
using System.Text.Json.Nodes;
using KnPipeline.Stages.Models;
using KnPipeline.Stages.Models.Core;
using static TorchSharp.torch;

namespace KnPipeline.Bench;

/// <summary>Shared pieces of the benchmarks: a GPT-2-small-shaped random model and a plain matmul's speed.</summary>
public static class BenchModels
{
    /// <summary>12 layers, width 768, 12 heads, FFN 3072, vocabulary 50,257: GPT-2 small's shape, random weights.</summary>
    public static TransformerLM Gpt2Small(int seed = 0)
    {
        var config = ModelConfig.Parse(new JsonObject
        {
            ["model_type"] = "gpt2", ["vocab_size"] = 50257, ["n_embd"] = 768, ["n_layer"] = 12, ["n_head"] = 12,
            ["n_inner"] = 3072, ["n_positions"] = 1024,
        }, "gpt2-small-shaped");
        var model = ModelLoader.Create(config);
        var gen = new Generator((ulong)seed);
        // Random init in place, releasing each temporary at once, so the peak memory figures measure the work only.
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                using (NewDisposeScope())
                    p.copy_(name.Contains("ln_") ? ones_like(p) + 0.02 * randn(p.shape, generator: gen) : randn(p.shape, generator: gen) * 0.02);
        model.Freeze();
        return model;
    }

    /// <summary>GFLOP/s of [2048×3072]@[3072×768], the FFN's shape, measured now on this machine.</summary>
    public static double MatmulGflops(double seconds = 1.5)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var a = randn(2048, 3072);
        var b = randn(3072, 768);
        var c = empty(2048, 768);
        for (int i = 0; i < 3; i++)
            c.addmm_(a, b, beta: 0, alpha: 1);
        int n = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            c.addmm_(a, b, beta: 0, alpha: 1);
            n++;
        }
        return n * 2.0 * 2048 * 3072 * 768 / sw.Elapsed.TotalSeconds / 1e9;
    }

    public static int[][] RandomPrompts(int count, int tokens, int vocab, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, tokens).Select(_ => rng.Next(vocab)).ToArray()).ToArray();
    }

    /// <summary>The resident set now, in MB.</summary>
    public static double RssMb()
    {
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.WorkingSet64 / (1024.0 * 1024.0);
    }

    /// <summary>The 1-, 5- and 15-minute load averages (Linux), to show how busy a shared machine was.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
        catch (UnauthorizedAccessException)
        {
            return "n/a";
        }
    }

    public static double PeakMb()
    {
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.PeakWorkingSet64 / (1024.0 * 1024.0);
    }
}
