using System.CommandLine;
using System.Text.Json.Nodes;
using KnPipeline.Hosting;
using KnPipeline.Runs;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline merge &lt;run-dir&gt;</c>: checks that every shard of a sharded run finished (each summary-i-of-N.json
/// says complete) and writes the run's summary.json: counts add up, rates and fractions are weighted, the gap median is
/// recomputed from every chunk, and the reduce phase runs over
/// all shards' facts.
/// </summary>
public static class MergeCommand
{
    public static Command Create()
    {
        var runDir = new Argument<string>("run-dir") { Description = "The run folder the shards wrote into" };
        var cmd = new Command("merge", "Check that every shard is complete and write the run's summary.json")
            { runDir };
        cmd.SetAction((pr, ct) =>
        {
            var run = new RunFolder(pr.GetValue(runDir)!);
            var files = Directory.Exists(run.Path) ? Directory.GetFiles(run.Path, "summary-*-of-*.json") : [];
            if (files.Length == 0)
                throw new UsageException($"{run.Path} has no shard summaries (summary-i-of-N.json)");
            var shards = files.Select(f => (File: f, Json: JsonNode.Parse(File.ReadAllText(f))!.AsObject())).ToList();
            var counts = files.Select(f => Path.GetFileNameWithoutExtension(f).Split('-'))
                .Select(p => int.Parse(p[^1])).Distinct().ToList();
            if (counts.Count != 1)
                throw new UsageException(
                    $"{run.Path}: shard summaries of different shard counts ({string.Join(", ", counts)})");
            int n = counts[0];
            var missing = Enumerable.Range(0, n)
                .Where(i => !File.Exists(Path.Combine(run.Path, $"summary-{i}-of-{n}.json"))).ToList();
            var incomplete = shards.Where(s => s.Json["complete"]?.GetValue<bool>() != true)
                .Select(s => Path.GetFileName(s.File)).ToList();
            if (missing.Count > 0 || incomplete.Count > 0)
            {
                Console.Error.WriteLine($"error: the run is not complete: " +
                                        $"missing shards [{string.Join(", ", missing)}]; " +
                                        $"incomplete: [{string.Join(", ", incomplete)}]");
                return Task.FromResult(ExitCodes.Failure);
            }
            var merged = RunSummary.Merge(shards.Select(sh => sh.Json).ToList(), RunTotals.FromFolder(run));
            ReducePhase.Run(run, merged, ct);
            RunSummary.Write(Path.Combine(run.Path, "summary.json"), merged);
            Console.WriteLine($"merged {n} shards into {Path.Combine(run.Path, "summary.json")}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
