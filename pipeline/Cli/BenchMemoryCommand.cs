using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using KnPipeline.Bench;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline bench memory [--small N] [--large N] [--long N] [--long-dir DIR] [--long-trace FILE] [--json]</c>:
/// peak memory is flat in the number of queries attributed in a loop, and the resident set of a whole
/// <c>pipeline run</c> is flat in its length (the long case, <see cref="LongRunBench"/>; <c>--long 0</c> skips it).
/// --json prints <c>{"small_queries", "large_queries", "small_peak_mb", "large_peak_mb", "growth",
/// "small_leaked_tensors", "large_leaked_tensors", "long_queries", "long_rss_mb_10", "long_rss_mb_50",
/// "long_rss_mb_100", "long_growth", "long_peak_mb", "long_s"}</c> (the long keys only when it ran).
/// </summary>
public static class BenchMemoryCommand
{
    public static Command Create()
    {
        var small = new Option<int>("--small")
        {
            Description = "Queries in the small run", DefaultValueFactory = _ => 200,
        };
        var large = new Option<int>("--large")
        {
            Description = "Queries in the large run", DefaultValueFactory = _ => 2000,
        };
        var longQueries = new Option<long>("--long")
        {
            Description = "Queries in the long pipeline run (0 skips it)", DefaultValueFactory = _ => 1_000_000,
        };
        var longDir = new Option<string?>("--long-dir")
        {
            Description = "Write the long run's data, model, config and run folder here and keep them",
        };
        var trace = new Option<string?>("--long-trace")
        {
            Description = "Write every sample of the long run to this CSV",
        };
        var child = new Option<int?>("--child")
        {
            Description = "Internal: run N queries here and print the peak MB and the leaked tensors", Hidden = true,
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var cmd = new Command("memory", "Peak memory of attributing N and 10×N queries, each in a fresh process, " +
                                        "and the resident set of a long pipeline run at 10%, 50% and 100%")
        {
            small, large, longQueries, longDir, trace, child, json,
        };
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(child) is { } n)
            {
                Console.WriteLine(MemoryBench.Format(MemoryBench.RunInProcess(n)));
                return 0;
            }
            long longN = pr.GetValue(longQueries);
            if (longN < 0)
                throw new UsageException("--long takes a number of queries, or 0 to skip the long run");
            // The figures go to stdout, unless --json keeps stdout for the JSON object.
            var human = pr.GetValue(json) ? Console.Error : Console.Out;
            var (sf, lf) = MemoryBench.Run(pr.GetValue(small), pr.GetValue(large));
            double s = sf.PeakMb, l = lf.PeakMb, growth = l / s - 1;
            var result = new Dictionary<string, object>
            {
                ["small_queries"] = pr.GetValue(small), ["large_queries"] = pr.GetValue(large),
                ["small_peak_mb"] = s, ["large_peak_mb"] = l, ["growth"] = growth,
                ["small_leaked_tensors"] = sf.LeakedTensors, ["large_leaked_tensors"] = lf.LeakedTensors,
            };
            human.WriteLine($"peak memory: {pr.GetValue(small)} queries {s:F0} MB, {pr.GetValue(large)} queries " +
                            $"{l:F0} MB ({100 * growth:+0.0;-0.0}%); tensors alive after the last batch but not " +
                            $"after the first: {sf.LeakedTensors} and {lf.LeakedTensors}");
            if (longN > 0)
            {
                var f = LongRunBench.Run(longN, pr.GetValue(longDir), keep: pr.GetValue(longDir) != null,
                    progress: Console.Error);
                if (pr.GetValue(trace) is { } path)
                    WriteTrace(path, f);
                result["long_queries"] = f.Queries;
                result["long_rss_mb_10"] = f.RssMb[0];
                result["long_rss_mb_50"] = f.RssMb[1];
                result["long_rss_mb_100"] = f.RssMb[2];
                result["long_growth"] = f.Growth;
                result["long_peak_mb"] = f.PeakMb;
                result["long_s"] = Math.Round(f.Seconds, 1);
                human.WriteLine($"long run: {f.Queries} queries ({f.Facts} facts, {f.Chunks} chunks) in " +
                                $"{f.Seconds:F1} s ({f.Queries / f.Seconds:F0} queries/s; inputs written in " +
                                $"{f.SetupSeconds:F1} s); RSS {f.RssMb[0]:F0} / {f.RssMb[1]:F0} / " +
                                $"{f.RssMb[2]:F0} MB at 10 / 50 / 100% ({100 * f.Growth:+0.0;-0.0}%), " +
                                $"peak {f.PeakMb:F0} MB; load {BenchModels.LoadAverage()}");
            }
            if (pr.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        });
        return cmd;
    }

    private static void WriteTrace(string path, LongRunBench.Figures f)
    {
        var csv = new StringBuilder("seconds,chunks_done,rss_mb,peak_mb\n");
        foreach (var s in f.Samples)
            csv.Append(CultureInfo.InvariantCulture, $"{s.Seconds:F3},{s.Chunks},{s.RssMb:F1},{s.PeakMb:F1}\n");
        File.WriteAllText(path, csv.ToString());
    }
}
