using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using KnPipeline.Bench;

namespace KnPipeline.Cli;

/// <summary><c>pipeline bench memory [--small N] [--large N] [--json]</c>: peak memory is flat in the number of queries.</summary>
public static class BenchMemoryCommand
{
    public static Command Create()
    {
        var small = new Option<int>("--small") { Description = "Queries in the small run", DefaultValueFactory = _ => 200 };
        var large = new Option<int>("--large") { Description = "Queries in the large run", DefaultValueFactory = _ => 2000 };
        var child = new Option<int?>("--child") { Description = "Internal: run N queries here and print the peak MB and the leaked tensors", Hidden = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var cmd = new Command("memory", "Peak memory of attributing N and 10×N queries, each in a fresh process") { small, large, child, json };
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(child) is { } n)
            {
                Console.WriteLine(MemoryBench.Format(MemoryBench.RunInProcess(n)));
                return 0;
            }
            var (sf, lf) = MemoryBench.Run(pr.GetValue(small), pr.GetValue(large));
            double s = sf.PeakMb, l = lf.PeakMb, growth = l / s - 1;
            if (pr.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["small_queries"] = pr.GetValue(small), ["large_queries"] = pr.GetValue(large),
                    ["small_peak_mb"] = s, ["large_peak_mb"] = l, ["growth"] = growth,
                    ["small_leaked_tensors"] = sf.LeakedTensors, ["large_leaked_tensors"] = lf.LeakedTensors,
                }));
            else
                Console.WriteLine($"peak memory: {pr.GetValue(small)} queries {s:F0} MB, {pr.GetValue(large)} queries {l:F0} MB " +
                                  $"({100 * growth:+0.0;-0.0}%); tensors alive after the last batch but not after the first: " +
                                  $"{sf.LeakedTensors} and {lf.LeakedTensors}");
            return 0;
        });
        return cmd;
    }
}
