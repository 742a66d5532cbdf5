using System.CommandLine;
using System.Text.Json;
using KnPipeline.Bench;

namespace KnPipeline.Cli;

/// <summary><c>pipeline bench attribution [--tokens N] [--queries N] [--batch B] [--json]</c>.</summary>
public static class BenchAttributionCommand
{
    public static Command Create()
    {
        var tokens = new Option<int[]>("--tokens") { Description = "Prompt lengths to measure", DefaultValueFactory = _ => [12, 24], AllowMultipleArgumentsPerToken = true };
        var queries = new Option<int>("--queries") { Description = "Queries for the fast algorithm", DefaultValueFactory = _ => 8 };
        var naive = new Option<int>("--naive-queries") { Description = "Queries for the naive algorithm", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch") { Description = "Queries per device batch", DefaultValueFactory = _ => 2 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (the first --tokens value) on stdout" };
        var cmd = new Command("attribution", "Fast vs naive integrated gradients on a GPT-2-small-shaped model") { tokens, queries, naive, batch, json };
        cmd.SetAction(pr =>
        {
            var results = new List<AttributionBench.Result>();
            foreach (int t in pr.GetValue(tokens)!)
            {
                var r = AttributionBench.Run(t, pr.GetValue(queries), pr.GetValue(naive), batch: pr.GetValue(batch), log: s => Console.Error.WriteLine(s));
                results.Add(r);
                Console.Error.WriteLine($"{t} tokens: fast {r.FastQueriesPerS:F3} q/s, naive {r.NaiveQueriesPerS:F4} q/s, ratio {r.Ratio:F1}x, " +
                                        $"{r.Gflops:F1} GFLOP/s = {100 * r.Gflops / r.MatmulGflops:F0}% of matmul {r.MatmulGflops:F1}, " +
                                        $"peak {r.PeakMb:F0} MB, max |fast−naive| {r.MaxAbsDiff:G3} ({r.MaxRelDiff:G3} of layer max)");
            }
            var first = results[0];
            if (pr.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["fast_queries_per_s"] = first.FastQueriesPerS, ["naive_queries_per_s"] = first.NaiveQueriesPerS,
                    ["ratio"] = first.Ratio, ["gflops"] = first.Gflops, ["matmul_gflops"] = first.MatmulGflops,
                    ["peak_mb"] = first.PeakMb, ["max_abs_diff"] = first.MaxAbsDiff,
                }));
            return 0;
        });
        return cmd;
    }
}
