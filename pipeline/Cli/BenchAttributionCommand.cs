using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using KnPipeline.Bench;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Options;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline bench attribution [--tokens N...] [--queries N] [--naive-queries N] [--batch B] [--json]</c>. --json
/// prints
/// <c>{"fast_queries_per_s", "naive_queries_per_s", "ratio", "gflops", "matmul_gflops", "peak_mb", "max_abs_diff",
/// "gap_median", "adaptive_queries_per_s", "adaptive_points_mean", "adaptive_gap_median", "adaptive_gap_p95"}</c>
/// for the first --tokens value (gaps relative, |gap| / |F(a) − F(b)|; gap_median is right-20's); the full figures of
/// every length go to stderr.
/// </summary>
public static class BenchAttributionCommand
{
    public static Command Create()
    {
        var tokens = new Option<int[]>("--tokens")
        {
            Description = "Prompt lengths to measure", DefaultValueFactory = _ => [12, 24],
            AllowMultipleArgumentsPerToken = true
        };
        var queries = new Option<int>("--queries")
            { Description = "Queries for the fast algorithm", DefaultValueFactory = _ => 16 };
        var naive = new Option<int>("--naive-queries")
            { Description = "Queries for the naive algorithm (0 to skip it)", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch")
            { Description = "Queries per device batch of the fast algorithm", DefaultValueFactory = _ => 8 };
        var json = new Option<bool>("--json")
            { Description = "Print one JSON object (the first --tokens value) on stdout" };
        var cmd = new Command("attribution",
            "Fast vs naive integrated gradients, right-20 vs adaptive, on a GPT-2-small-shaped model")
            { tokens, queries, naive, batch, json };
        cmd.SetAction(pr =>
        {
            int q = pr.GetValue(queries), nq = pr.GetValue(naive), b = pr.GetValue(batch);
            if (q < 1 || nq < 0 || b < 1 || nq > q)
                throw new UsageException(
                    "--queries and --batch must be at least 1, --naive-queries between 0 and --queries");
            var lengths = pr.GetValue(tokens)!;
            if (lengths.Length == 0 || lengths.Any(t => t < 2 || t > 1024))
                throw new UsageException("--tokens takes lengths between 2 and 1024");
            var model = BenchModels.Gpt2Small();
            int threads = TorchSharp.torch.get_num_threads();
            var results = new List<AttributionBench.Result>();
            foreach (int t in lengths)
            {
                var r = AttributionBench.Run(model, t, q, nq, batch: b, log: s => Console.Error.WriteLine(s));
                results.Add(r);
                Console.Error.WriteLine(
                    $"{t} tokens, batch {r.Batch}: fast {r.FastQueriesPerS:F3} q/s, " +
                    $"naive {r.NaiveQueriesPerS:F4} q/s, ratio {r.Ratio:F1}x " +
                    $"(matmul FLOPs {r.FlopRatio:F1}x); fast {r.Gflops:F1} GFLOP/s = " +
                    $"{100 * r.Gflops / r.MatmulGflops:F0}% of matmul " +
                    $"{r.MatmulGflops:F1} (before {r.MatmulBefore:F1}, after {r.MatmulAfter:F1}), " +
                    $"naive {r.NaiveGflops:F1} GFLOP/s; " +
                    $"CPU-s per s: fast {r.FastCpuPerWall:F2} " +
                    $"({Math.Min(new AttributionOptions().CpuWorkers, b)} single-threaded workers), " +
                    $"naive {r.NaiveCpuPerWall:F2} ({threads} intra-op threads), " +
                    $"fast {r.FastGflopsPerCpuS:F1} GFLOP per CPU-s; load {r.Load}; peak {r.PeakMb:F0} MB, " +
                    $"RSS growth after the first fast batch " +
                    $"{r.RssGrowthMb:F0} MB; max |fast−naive| {r.MaxAbsDiff:G3} ({r.MaxRelDiff:G3} of layer max)");
            }
            var first = results[0];
            if (pr.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["fast_queries_per_s"] = first.FastQueriesPerS, ["naive_queries_per_s"] = first.NaiveQueriesPerS,
                    ["ratio"] = first.Ratio, ["gflops"] = first.Gflops, ["matmul_gflops"] = first.MatmulGflops,
                    ["peak_mb"] = first.PeakMb, ["max_abs_diff"] = first.MaxAbsDiff, ["gap_median"] = first.GapMedian,
                    ["adaptive_queries_per_s"] = first.AdaptiveQueriesPerS,
                    ["adaptive_points_mean"] = first.AdaptivePointsMean,
                    ["adaptive_gap_median"] = first.AdaptiveGapMedian, ["adaptive_gap_p95"] = first.AdaptiveGapP95,
                }, new JsonSerializerOptions
                {
                    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals // NaN without naive queries
                }));
            return 0;
        });
        return cmd;
    }
}
