using System.Diagnostics;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Models.Core;

namespace KnPipeline.Bench;

/// <summary>
/// <c>pipeline bench attribution</c>: the fast and the naive IG algorithm on a GPT-2-small-shaped random model, all
/// layers, m = 20, measured in the same run against a plain matmul, with the largest difference between them; then
/// the adaptive rule (default tolerance and max_steps) on the same queries and batches, with the relative completeness
/// gaps |gap| / |F(a) − F(b)| of both rules and the points adaptive spent per query and layer.
/// The machine may be shared, so every timed phase also records the process's CPU time: CPU seconds per wall second
/// well below the thread count means other processes took the cores, and the matmul reference is measured right
/// before and right after the fast run so that its mean saw the same load.
/// </summary>
public static class AttributionBench
{
    public sealed record Result(int Tokens, int Batch, double FastQueriesPerS, double NaiveQueriesPerS, double Ratio,
                                double FlopRatio, double Gflops, double NaiveGflops, double MatmulGflops,
                                double MatmulBefore, double MatmulAfter, double FastCpuPerWall, double NaiveCpuPerWall,
                                double FastGflopsPerCpuS, double PeakMb, double RssGrowthMb, double MaxAbsDiff,
                                double MaxRelDiff, string Load, double GapMedian, double AdaptiveQueriesPerS,
                                double AdaptivePointsMean, double AdaptiveGapMedian, double AdaptiveGapP95,
                                double AdaptiveMetFraction);

    public static Result Run(TransformerLM model, int tokens = 12, int fastQueries = 8, int naiveQueries = 1,
                             int steps = 20, int batch = 8, Action<string>? log = null)
    {
        var prompts = BenchModels.RandomPrompts(Math.Max(fastQueries, naiveQueries) + batch, tokens, model.VocabSize,
            1);
        AttributionQuery Q(int i) => new($"q{i}", prompts[i], null, tokens - 1, [tokens - 1], [prompts[i][0]]);
        string loadBefore = BenchModels.LoadAverage();

        using var fast = new IntegratedGradients(model,
            new AttributionOptions { Steps = steps, Algorithm = AttributionAlgorithm.Fast });
        using var naive = new IntegratedGradients(model,
            new AttributionOptions { Steps = steps, Algorithm = AttributionAlgorithm.Naive });
        // Warm-up: one batch (allocator, kernels, head buffers).
        fast.Run(Enumerable.Range(fastQueries, batch).Select(Q).ToList());
        double matmulBefore = BenchModels.MatmulGflops();
        double rssWarm = BenchModels.RssMb(), rssMax = rssWarm;
        double? rssFirst = null;
        var fastResults = new List<QueryAttribution>();
        var fastTime = CpuWall.Start();
        for (int i = 0; i < fastQueries; i += batch)
        {
            fastResults.AddRange(fast.Run(Enumerable.Range(i, Math.Min(batch, fastQueries - i)).Select(Q).ToList()));
            // Growth is counted from the end of the first timed batch: a steady state must not grow at all.
            double rss = BenchModels.RssMb();
            rssFirst ??= rss;
            rssMax = Math.Max(rssMax, rss);
        }
        var (fastS, fastCpu) = fastTime.Stop();
        double matmulAfter = BenchModels.MatmulGflops();
        double matmul = (matmulBefore + matmulAfter) / 2;
        log?.Invoke($"{tokens} tokens, fast: {fastQueries} queries in {fastS:F2} s " +
                    $"({fastCpu / fastS:F2} CPU-s per s), " +
                    $"matmul {matmulBefore:F1} before, {matmulAfter:F1} after, RSS {rssWarm:F0} MB after warm-up, " +
                    $"{rssFirst:F0} MB after the first batch, {rssMax:F0} MB at most");
        // The fast workers' freed blocks sit in their own malloc arenas: hand them back so the peak is the larger
        // phase.
        MallocTuning.Trim();
        var naiveResults = new List<QueryAttribution>();
        var naiveTime = CpuWall.Start();
        for (int i = 0; i < naiveQueries; i++)
            naiveResults.AddRange(naive.Run([Q(i)]));
        var (naiveS, naiveCpu) = naiveTime.Stop();
        log?.Invoke($"{tokens} tokens, naive: {naiveQueries} queries in {naiveS:F2} s " +
                    $"({naiveCpu / Math.Max(naiveS, 1e-9):F2} CPU-s per s)");

        // The adaptive rule on the same queries in the same batches (its first pass is 5 rows per layer, not 21).
        using var adaptive = new IntegratedGradients(model, new AttributionOptions { Rule = IntegrationRule.Adaptive });
        adaptive.Run(Enumerable.Range(fastQueries, batch).Select(Q).ToList());
        var adaptiveResults = new List<QueryAttribution>();
        var adaptiveTime = CpuWall.Start();
        for (int i = 0; i < fastQueries; i += batch)
        {
            var queries = Enumerable.Range(i, Math.Min(batch, fastQueries - i)).Select(Q).ToList();
            adaptiveResults.AddRange(adaptive.Run(queries));
        }
        var (adaptiveS, _) = adaptiveTime.Stop();
        var rightGaps = RelativeGaps(fastResults);
        var adaptiveGaps = RelativeGaps(adaptiveResults);
        var adaptiveLayers = adaptiveResults.SelectMany(r => r.Layers).ToList();
        log?.Invoke($"{tokens} tokens, adaptive: {fastQueries} queries in {adaptiveS:F2} s; points per layer " +
                    $"{adaptiveLayers.Average(l => l.Points):F1} (right-20: 21 rows); relative gap median " +
                    $"{Quantile(adaptiveGaps, 0.5):G3}, p95 {Quantile(adaptiveGaps, 0.95):G3} " +
                    $"(right-20 {Quantile(rightGaps, 0.5):G3}, p95 {Quantile(rightGaps, 0.95):G3}); " +
                    $"tolerance met on {adaptiveLayers.Count(l => l.ToleranceMet)} of {adaptiveLayers.Count} paths");

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
        double fastFlops = FlopCount.FastCausal(model.Config, tokens, steps, model.NumLayers);
        double naiveFlops = FlopCount.Naive(model.Config, tokens, steps, model.NumLayers);
        return new Result(tokens, batch, fastQps, naiveQps, fastQps / naiveQps, naiveFlops / fastFlops,
                          fastFlops * fastQps / 1e9,
                          naiveFlops * naiveQps / 1e9, matmul, matmulBefore, matmulAfter, fastCpu / fastS,
                          naiveQueries > 0 ? naiveCpu / naiveS : double.NaN, fastFlops * fastQueries / fastCpu / 1e9,
                          BenchModels.PeakMb(), rssMax - rssFirst!.Value, maxAbs, maxRel,
                          $"{loadBefore} → {BenchModels.LoadAverage()}",
                          Quantile(rightGaps, 0.5), fastQueries / adaptiveS, adaptiveLayers.Average(l => l.Points),
                          Quantile(adaptiveGaps, 0.5), Quantile(adaptiveGaps, 0.95),
                          (double)adaptiveLayers.Count(l => l.ToleranceMet) / adaptiveLayers.Count);
    }

    /// <summary>|gap| / |F(a) − F(b)| of every (query, layer), sorted.</summary>
    private static double[] RelativeGaps(IEnumerable<QueryAttribution> results) =>
        results.SelectMany(r => r.Layers.Select(l => l.RelativeGap(r.FA))).Order().ToArray();

    /// <summary>The q-quantile of sorted values (nearest rank).</summary>
    private static double Quantile(double[] sorted, double q) =>
        sorted.Length == 0
            ? double.NaN
            : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>Wall and process CPU seconds of one phase.</summary>
    private sealed class CpuWall
    {
        private readonly Stopwatch _wall = Stopwatch.StartNew();
        private readonly TimeSpan _cpu = Cpu();

        public static CpuWall Start() => new();

        public (double Wall, double Cpu) Stop() => (_wall.Elapsed.TotalSeconds, (Cpu() - _cpu).TotalSeconds);

        private static TimeSpan Cpu()
        {
            using var p = Process.GetCurrentProcess();
            return p.TotalProcessorTime;
        }
    }
}
