using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using KnPipeline.Runs;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline merge &lt;run-dir&gt;</c>: checks that every shard of a sharded run finished (each summary-i-of-N.json says
/// complete) and writes the run's summary.json: counts add up, rates and fractions are weighted, the gap median is
/// recomputed from every chunk.
/// </summary>
public static class MergeCommand
{
    public static Command Create()
    {
        var runDir = new Argument<string>("run-dir") { Description = "The run folder the shards wrote into" };
        var cmd = new Command("merge", "Check that every shard is complete and write the run's summary.json") { runDir };
        cmd.SetAction(pr =>
        {
            var run = new RunFolder(pr.GetValue(runDir)!);
            var files = Directory.Exists(run.Path) ? Directory.GetFiles(run.Path, "summary-*-of-*.json") : [];
            if (files.Length == 0)
                throw new UsageException($"{run.Path} has no shard summaries (summary-i-of-N.json)");
            var shards = files.Select(f => (File: f, Json: JsonNode.Parse(File.ReadAllText(f))!.AsObject())).ToList();
            var counts = files.Select(f => Path.GetFileNameWithoutExtension(f).Split('-')).Select(p => int.Parse(p[^1])).Distinct().ToList();
            if (counts.Count != 1)
                throw new UsageException($"{run.Path}: shard summaries of different shard counts ({string.Join(", ", counts)})");
            int n = counts[0];
            var missing = Enumerable.Range(0, n).Where(i => !File.Exists(Path.Combine(run.Path, $"summary-{i}-of-{n}.json"))).ToList();
            var incomplete = shards.Where(s => s.Json["complete"]?.GetValue<bool>() != true).Select(s => Path.GetFileName(s.File)).ToList();
            if (missing.Count > 0 || incomplete.Count > 0)
            {
                Console.Error.WriteLine($"error: the run is not complete: missing shards [{string.Join(", ", missing)}]; " +
                                        $"incomplete: [{string.Join(", ", incomplete)}]");
                return CliApp.ExitFailure;
            }
            double Sum(string k) => shards.Sum(s => s.Json[k]?.GetValue<double>() ?? 0);
            var markers = Directory.Exists(run.ChunksDir)
                ? Directory.GetFiles(run.ChunksDir, "*.done.json").Order(StringComparer.Ordinal)
                    .Select(f => JsonSerializer.Deserialize<ChunkMarker>(File.ReadAllText(f))!).ToList()
                : [];
            double deviceS = Sum("device_s");
            var merged = new JsonObject
            {
                ["facts"] = (long)Sum("facts"), ["queries"] = (long)Sum("queries"),
                ["languages"] = shards.Max(s => s.Json["languages"]!.GetValue<int>()),
                ["quarantined"] = (long)Sum("quarantined"),
                ["queries_per_s"] = deviceS > 0 ? Sum("queries_attributed") / deviceS * n : 0,
                ["device_busy"] = deviceS > 0 ? shards.Sum(s => s.Json["device_busy"]!.GetValue<double>() * s.Json["device_s"]!.GetValue<double>()) / deviceS : 0,
                ["completeness_gap_median"] = MarkerTotals.GapMedian(markers),
                ["wall_s"] = shards.Max(s => s.Json["wall_s"]!.GetValue<double>()),
                ["queries_tokenized"] = (long)Sum("queries_tokenized"), ["queries_attributed"] = (long)Sum("queries_attributed"),
                ["chunks"] = (long)Sum("chunks"), ["chunks_done"] = (long)Sum("chunks_done"), ["complete"] = true, ["shards"] = n,
            };
            MarkerTotals.AddCounters(merged, markers);
            RunFolder.WriteAtomic(Path.Combine(run.Path, "summary.json"), merged.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"merged {n} shards into {Path.Combine(run.Path, "summary.json")}");
            return 0;
        });
        return cmd;
    }
}
