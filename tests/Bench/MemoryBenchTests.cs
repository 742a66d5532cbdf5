using System.Text.Json.Nodes;
using KnPipeline.Bench;
using KnPipeline.Cli;
using KnPipeline.Tests.Config;
using Xunit;

namespace KnPipeline.Tests.Bench;

/// <summary>Attribution memory stays flat in the number of queries (each size runs in its own process).</summary>
public class MemoryBenchTests
{
    [Fact]
    public void TenTimesTheQueriesLeaksNoTensorAndNoNativeMemory()
    {
        var (small, large) = MemoryBench.Run(24, 240);
        // Exact and independent of the allocator: every tensor a batch makes is gone when the next one starts.
        Assert.Equal(0, small.LeakedTensors);
        Assert.Equal(0, large.LeakedTensors);
        Assert.True(small.PeakMb > 50, $"implausible peak {small.PeakMb} MB");
        // The RSS peak also carries malloc arenas settling in (+6 to +9% measured on an idle 2-core machine, more when
        // the suite loads it), so it only guards against native leaks here; `pipeline bench memory` reports the figure
        // against the 10% target.
        Assert.True(large.PeakMb <= small.PeakMb * 1.25,
            $"peak grew from {small.PeakMb:F0} MB (24 queries) to {large.PeakMb:F0} MB (240 queries)");
    }

    [Fact]
    public void LevelIsTheMedianOverTheLastTwoPercentOfChunksUpToTheMark()
    {
        // 200 chunks: the window is 4 chunks. Two samples per chunk count, RSS = 100 + count, one spike at 20 chunks.
        var samples = Enumerable.Range(0, 200).SelectMany(c => new[]
        {
            new LongRunBench.Sample(c, c, 100 + c, 400),
            new LongRunBench.Sample(c + 0.5, c, c == 20 ? 900 : 100 + c, 900),
        }).ToList();
        // 10% = 20 chunks: the samples of 16..20 chunks (10 of them, one spike); the median ignores the spike.
        Assert.Equal(118, LongRunBench.Level(samples, 200, 0.1));
        Assert.Equal(198, LongRunBench.Level(samples, 200, 0.5));
        // 100%: the child exited before a sample saw the last marker; the window's earlier samples stand for it.
        Assert.Equal(297.5, LongRunBench.Level(samples, 200, 1.0));
        // No sample in the window (a fast run finished those chunks between two samples): the latest one before it.
        Assert.Equal(104, LongRunBench.Level(samples.Take(10).ToList(), 200, 0.5));
        Assert.Throws<InvalidOperationException>(() => LongRunBench.Level([], 200, 0.5));
    }
}

/// <summary>
/// The long case through the CLI: a real <c>pipeline run</c> of 20,000 synthetic queries in a child process (about
/// 20 chunks), sampled from outside. Its figures depend on the machine's load, so only their sanity is checked.
/// </summary>
[Collection(ConfigConsoleCollection.Name)]
public class MemoryBenchLongRunTests
{
    [Fact]
    public async Task JsonHasTheLongRunKeysWithSaneResidentSets()
    {
        string dir = Directory.CreateTempSubdirectory("kn-memory-test-").FullName;
        try
        {
            string trace = Path.Combine(dir, "trace.csv");
            using var console = new ConsoleCapture();
            int code = await CliApp.RunAsync(["bench", "memory", "--small", "8", "--large", "16", "--long", "20000",
                "--long-dir", Path.Combine(dir, "long"), "--long-trace", trace, "--json"]);
            Assert.True(code == 0, console.Error);
            var o = JsonNode.Parse(console.Out)!.AsObject();
            foreach (var key in (string[])["small_queries", "large_queries", "small_peak_mb", "large_peak_mb", "growth",
                         "small_leaked_tensors", "large_leaked_tensors"])
                Assert.True(o.ContainsKey(key), $"missing {key} in {console.Out}");

            // Every planned query was attributed: the child read the synthetic folder and the tiny model whole.
            long queries = o["long_queries"]!.GetValue<long>();
            Assert.InRange(queries, 20_000, 20_100);
            double r10 = o["long_rss_mb_10"]!.GetValue<double>(), r50 = o["long_rss_mb_50"]!.GetValue<double>(),
                r100 = o["long_rss_mb_100"]!.GetValue<double>(), peak = o["long_peak_mb"]!.GetValue<double>();
            foreach (double r in (double[])[r10, r50, r100])
            {
                // A .NET host with libtorch loaded is over 100 MB resident; a few GB would be a leak or a wrong unit.
                Assert.InRange(r, 100, 4000);
                Assert.True(r <= peak + 1e-9, $"resident {r} MB above the peak {peak} MB");
            }
            Assert.Equal(r100 / r10 - 1, o["long_growth"]!.GetValue<double>(), 9);

            // The kept folders: the run is complete, and the trace's marker counts only rise, up to every chunk.
            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "long", "run", "summary.json")))!;
            Assert.True(summary["complete"]!.GetValue<bool>());
            Assert.Equal(queries, summary["queries_attributed"]!.GetValue<long>());
            var counts = File.ReadLines(trace).Skip(1).Select(l => int.Parse(l.Split(',')[1])).ToList();
            Assert.NotEmpty(counts);
            Assert.True(counts.Zip(counts.Skip(1)).All(p => p.First <= p.Second), "marker counts went down");
            Assert.InRange(counts[^1], 1, summary["chunks"]!.GetValue<int>());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
