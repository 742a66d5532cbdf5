using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Tokenization;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline bench data [--queries N] [--kind causal|masked] [--json]</c>: expands and tokenizes N synthetic
/// queries into a temporary Parquet part and prints queries/s and the peak working set. --json prints
/// <c>{"queries", "queries_per_s", "peak_mb"}</c>.
/// </summary>
public static class BenchCommand
{
    /// <summary>The <c>data</c> subcommand of the <c>bench</c> group (built in <see cref="CliApp"/>).</summary>
    public static Command CreateData()
    {
        var queries = new Option<long>("--queries")
        {
            Description = "How many queries to expand, tokenize and write",
            DefaultValueFactory = _ => 1_000_000,
        };
        var kind = new Option<string>("--kind")
        {
            Description = "Model kind: causal (prompt before [Y]) or masked (mask tokens)",
            DefaultValueFactory = _ => "causal",
        };
        kind.AcceptOnlyFromAmong("causal", "masked");
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var cmd = new Command("data", "Expand and tokenize synthetic queries into a temporary Parquet part")
        {
            queries, kind, json,
        };
        cmd.SetAction((parse, ct) => RunAsync(parse.GetValue(queries),
            parse.GetValue(kind) == "masked" ? ModelKind.Masked : ModelKind.Causal, parse.GetValue(json), ct));
        return cmd;
    }

    private static async Task<int> RunAsync(long queries, ModelKind kind, bool json, CancellationToken ct)
    {
        // Reported here, not thrown: System.CommandLine's default handler would turn it into a stack trace, exit 1.
        if (queries < 1)
        {
            Console.Error.WriteLine($"error: --queries must be at least 1 (got {queries})");
            return ExitCodes.Usage;
        }
        string dir = Path.Combine(Path.GetTempPath(), $"kn-bench-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Console.Error.WriteLine($"bench data: {queries:N0} {kind.ToString().ToLowerInvariant()} queries → {dir}");
            var r = await DataThroughputBench.RunAsync(queries, kind, Path.Combine(dir, "part-00000.parquet"), ct);
            if (json)
            {
                using var stdout = Console.OpenStandardOutput();
                using (var w = new Utf8JsonWriter(stdout))
                {
                    w.WriteStartObject();
                    w.WriteNumber("queries", r.Queries);
                    w.WriteNumber("queries_per_s", Math.Round(r.QueriesPerSecond, 1));
                    w.WriteNumber("peak_mb", Math.Round(r.PeakMb, 1));
                    w.WriteEndObject();
                }
                stdout.Write("\n"u8);
            }
            else
            {
                var inv = CultureInfo.InvariantCulture;
                Console.WriteLine(string.Create(inv, $"queries        {r.Queries:N0}"));
                Console.WriteLine(string.Create(inv, $"seconds        {r.Seconds:F2}"));
                Console.WriteLine(string.Create(inv, $"queries_per_s  {r.QueriesPerSecond:N0}"));
                Console.WriteLine(string.Create(inv, $"peak_mb        {r.PeakMb:F1}"));
                Console.WriteLine(string.Create(inv,
                    $"part           {r.PartBytes / (1024.0 * 1024.0):F1} MiB, {r.RowGroups} row groups"));
                Console.WriteLine($"tokenizer      {r.Tokenizer} (synthetic; no model files)");
            }
            return ExitCodes.Ok;
        }
        finally
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
    }
}

