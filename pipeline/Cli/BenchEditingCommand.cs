using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using KnPipeline.Bench;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline bench editing [--facts 1,1000] [--dir DIR] [--json]</c>: the peak memory of a <c>pipeline run</c>
/// that edits every fact, for each number of facts (<see cref="EditingBench"/>), and the ratio of the largest
/// size's peak to the smallest's. --json prints <c>{"facts": [...], "edits": [...], "peak_mb": [...],
/// "graph_peak_mb": [...], "rss_mb": [[10%, 50%, 100%], ...], "seconds": [...], "peak_ratio"}</c>, one entry per
/// size.
/// </summary>
public static class BenchEditingCommand
{
    public static Command Create()
    {
        var facts = new Option<string>("--facts")
        {
            Description = "Comma-separated numbers of facts, one run each", DefaultValueFactory = _ => "1,1000",
        };
        var dir = new Option<string?>("--dir")
        {
            Description = "Write each size's data, model, config and run folder under DIR/facts-N and keep them",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var cmd = new Command("editing", "Peak memory and speed of pipeline runs that edit every fact of N-fact " +
                                         "synthetic benchmarks, each in a child process")
        {
            facts, dir, json,
        };
        cmd.SetAction(pr =>
        {
            var sizes = Sizes(pr.GetValue(facts)!);
            var human = pr.GetValue(json) ? Console.Error : Console.Out;
            var results = new List<EditingBench.Figures>();
            foreach (long n in sizes)
            {
                string? work = pr.GetValue(dir) is { } d ? Path.Combine(d, $"facts-{n}") : null;
                var f = EditingBench.Run(n, work, keep: work != null, progress: Console.Error);
                results.Add(f);
                human.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{f.Facts} facts: {f.Edits} edits, {f.Queries} queries in {f.Chunks} chunks, " +
                    $"{f.Seconds:F1} s ({f.EditsPerSecond:F2} edits/s; inputs written in {f.SetupSeconds:F1} s); " +
                    $"peak {f.PeakMb:F0} MB (graph {f.GraphPeakMb:F0} MB), RSS {f.RssMb[0]:F0} / {f.RssMb[1]:F0} / " +
                    $"{f.RssMb[2]:F0} MB at 10 / 50 / 100% of chunks"));
            }
            double ratio = results[^1].PeakMb / results[0].PeakMb;
            human.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"peak ratio {results[^1].Facts} / {results[0].Facts} facts: {ratio:F3}; load " +
                $"{BenchModels.LoadAverage()}"));
            if (pr.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["facts"] = results.Select(r => r.Facts).ToArray(),
                    ["edits"] = results.Select(r => r.Edits).ToArray(),
                    ["peak_mb"] = results.Select(r => Math.Round(r.PeakMb, 1)).ToArray(),
                    ["graph_peak_mb"] = results.Select(r => Math.Round(r.GraphPeakMb, 1)).ToArray(),
                    ["rss_mb"] = results.Select(r => r.RssMb.Select(x => Math.Round(x, 1)).ToArray()).ToArray(),
                    ["seconds"] = results.Select(r => Math.Round(r.Seconds, 1)).ToArray(),
                    ["peak_ratio"] = Math.Round(ratio, 4),
                }));
            return 0;
        });
        return cmd;
    }

    private static List<long> Sizes(string text)
    {
        var sizes = new List<long>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            sizes.Add(long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n >= 1
                ? n
                : throw new UsageException($"--facts takes numbers of facts of at least 1, e.g. 1,1000 (got {part})"));
        return sizes.Count > 0 ? sizes : throw new UsageException("--facts needs at least one number of facts");
    }
}
