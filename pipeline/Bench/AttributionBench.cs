using System.Diagnostics;
using KnPipeline.Stages.Attribution;
using static TorchSharp.torch;

namespace KnPipeline.Bench;

/// <summary>
/// <c>pipeline bench attribution</c>: the fast and the naive IG algorithm on a GPT-2-small-shaped random model, all
/// layers, m = 20, measured in the same run against a plain matmul, with the largest difference between them.
/// </summary>
public static class AttributionBench
{
    public sealed record Result(int Tokens, double FastQueriesPerS, double NaiveQueriesPerS, double Ratio, double Gflops,
                                double MatmulGflops, double PeakMb, double MaxAbsDiff, double MaxRelDiff, int Batch);

    public static Result Run(int tokens = 12, int fastQueries = 8, int naiveQueries = 1, int steps = 20, int batch = 2,
                             Action<string>? log = null)
    {
        var model = BenchModels.Gpt2Small();
        var prompts = BenchModels.RandomPrompts(Math.Max(fastQueries, naiveQueries) + batch, tokens, model.VocabSize, 1);
        AttributionQuery Q(int i) => new($"q{i}", prompts[i], null, tokens - 1, [tokens - 1], [prompts[i][0]]);
        double matmul = BenchModels.MatmulGflops();
        log?.Invoke($"plain matmul: {matmul:F1} GFLOP/s");

        using var fast = new IntegratedGradients(model, new AttributionSettings { Steps = steps, Algorithm = "fast" });
        using var naive = new IntegratedGradients(model, new AttributionSettings { Steps = steps, Algorithm = "naive" });
        // Warm-up: one batch each way (allocator, kernels, head buffers).
        fast.Run(Enumerable.Range(0, batch).Select(Q).ToList());
        var sw = Stopwatch.StartNew();
        var fastResults = new List<QueryAttribution>();
        for (int i = 0; i < fastQueries; i += batch)
            fastResults.AddRange(fast.Run(Enumerable.Range(i, Math.Min(batch, fastQueries - i)).Select(Q).ToList()));
        double fastS = sw.Elapsed.TotalSeconds;
        log?.Invoke($"fast: {fastQueries} queries in {fastS:F2} s, peak {BenchModels.PeakMb():F0} MB so far");
        sw.Restart();
        var naiveResults = new List<QueryAttribution>();
        for (int i = 0; i < naiveQueries; i++)
            naiveResults.AddRange(naive.Run([Q(i)]));
        double naiveS = sw.Elapsed.TotalSeconds;
        log?.Invoke($"naive: {naiveQueries} queries in {naiveS:F2} s");

        double maxAbs = 0, maxRel = 0;
        for (int i = 0; i < naiveQueries; i++)
            for (int l = 0; l < model.NumLayers; l++)
            {
                var f = fastResults[i].Layers[l].Attributions;
                var n = naiveResults[i].Layers[l].Attributions;
                double scale = n.Max(x => Math.Abs((double)x));
                double d = f.Zip(n).Max(p => Math.Abs((double)p.First - p.Second));
                maxAbs = Math.Max(maxAbs, d);
                maxRel = Math.Max(maxRel, scale > 0 ? d / scale : d);
            }
        double fastQps = fastQueries / fastS, naiveQps = naiveQueries > 0 ? naiveQueries / naiveS : double.NaN;
        double gflops = FlopCount.FastCausal(model.Config, tokens, steps, model.NumLayers) * fastQps / 1e9;
        return new Result(tokens, fastQps, naiveQps, fastQps / naiveQps, gflops, matmul, BenchModels.PeakMb(), maxAbs, maxRel, batch);
    }
}
