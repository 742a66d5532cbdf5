using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Models;
using KnPipeline.Stages.Models.Core;
using static TorchSharp.torch;

namespace KnPipeline.Bench;

/// <summary>
/// <c>pipeline bench memory</c>: peak memory of attributing N queries in a fresh process, for a small and a 10× larger
/// N, so a leak per query or per batch shows up as growth (issue target: the larger run within 10% of the smaller).
/// </summary>
public static class MemoryBench
{
    /// <summary>A 4-layer, 256-wide GPT-2 with an 8k vocabulary: big enough that leaked activations would
    /// show.</summary>
    public static TransformerLM Model()
    {
        var config = ModelConfig.Parse(new JsonObject
        {
            ["model_type"] = "gpt2", ["vocab_size"] = 8192, ["n_embd"] = 256, ["n_layer"] = 4, ["n_head"] = 4,
            ["n_inner"] = 1024, ["n_positions"] = 64,
        }, "memory-bench");
        var model = ModelLoader.Create(config);
        var gen = new Generator(3);
        using (no_grad())
            foreach (var (_, p) in model.named_parameters())
                using (NewDisposeScope())
                    p.copy_(randn(p.shape, generator: gen) * 0.05);
        model.Freeze();
        return model;
    }

    /// <summary>One size's figures: peak RSS, and the tensors alive after the last batch that were not after the
    /// first.</summary>
    public readonly record struct Figures(double PeakMb, long LeakedTensors);

    /// <summary>Attributes <paramref name="queries"/> random 12-token queries in batches of 8.</summary>
    public static Figures RunInProcess(int queries)
    {
        var model = Model();
        var prompts = BenchModels.RandomPrompts(queries, 12, model.VocabSize, 5);
        using var ig = new IntegratedGradients(model, new AttributionOptions { Steps = 20 });
        long liveAfterFirst = 0;
        for (int i = 0; i < queries; i += 8)
        {
            var batch = Enumerable.Range(i, Math.Min(8, queries - i))
                .Select(k => new AttributionQuery($"q{k}", prompts[k], null, 11, [11], [prompts[k][0]])).ToList();
            ig.Run(batch);
            // The first batch creates what is kept on purpose (per-worker head buffers); a leak is what comes after.
            if (i == 0)
                liveAfterFirst = Tensor.TotalCount;
        }
        long leaked = Tensor.TotalCount - liveAfterFirst;
        GC.Collect();
        return new Figures(BenchModels.PeakMb(), leaked);
    }

    /// <summary>Runs both sizes, each in its own process so the peaks do not mix.</summary>
    public static (Figures Small, Figures Large) Run(int small, int large)
    {
        Figures Child(int n)
        {
            var psi = new ProcessStartInfo(Environment.ProcessPath!)
                { RedirectStandardOutput = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
                psi.ArgumentList.Add(typeof(MemoryBench).Assembly.Location);
            foreach (var a in new[] { "bench", "memory", "--child", n.ToString(CultureInfo.InvariantCulture) })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
                throw new InvalidOperationException(
                    $"memory bench child for {n} queries failed with exit code {p.ExitCode}");
            var parts = output.Trim().Split(' ');
            return new Figures(double.Parse(parts[0], CultureInfo.InvariantCulture),
                long.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        return (Child(small), Child(large));
    }

    /// <summary>The child's one output line: peak MB and leaked tensors.</summary>
    public static string Format(Figures f) =>
        f.PeakMb.ToString("R", CultureInfo.InvariantCulture) + " " +
        f.LeakedTensors.ToString(CultureInfo.InvariantCulture);
}
