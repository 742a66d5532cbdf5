using System.CommandLine;
using System.Text.Json;
using KnPipeline.Bench;

namespace KnPipeline.Cli;

/// <summary><c>pipeline bench forward [--batch B] [--tokens T] [--json]</c>.</summary>
public static class BenchForwardCommand
{
    public static Command Create()
    {
        var batch = new Option<int>("--batch") { Description = "Sequences per forward pass", DefaultValueFactory = _ => 8 };
        var tokens = new Option<int>("--tokens") { Description = "Tokens per sequence", DefaultValueFactory = _ => 128 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var cmd = new Command("forward", "Forward-pass throughput of a GPT-2-small-shaped model") { batch, tokens, json };
        cmd.SetAction(pr =>
        {
            var r = ForwardBench.Run(pr.GetValue(batch), pr.GetValue(tokens));
            if (pr.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["tokens_per_s"] = r.TokensPerS, ["gflops"] = r.Gflops, ["matmul_gflops"] = r.MatmulGflops, ["peak_mb"] = r.PeakMb,
                    ["batch"] = r.Batch, ["tokens"] = r.Tokens,
                }));
            else
                Console.WriteLine($"forward, {r.Batch}×{r.Tokens} tokens: {r.TokensPerS:F0} tokens/s, {r.Gflops:F1} GFLOP/s " +
                                  $"({100 * r.Gflops / r.MatmulGflops:F0}% of a plain matmul's {r.MatmulGflops:F1}), peak {r.PeakMb:F0} MB");
            return 0;
        });
        return cmd;
    }
}
