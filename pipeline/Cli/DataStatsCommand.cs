using System.CommandLine;
using System.Text.Json;
using KnPipeline.Stages.Data;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline data stats &lt;dir-or-name&gt; [--format F] [--json]</c>: per language and relation, the facts,
/// templates and queries (causal and masked) a benchmark yields, and what was quarantined, by reason.
/// <c>embedded</c> names the embedded benchmark (rml-lama); other folders are auto-detected unless --format is given.
/// --json prints one object:
/// <c>{"languages": {lang: counts}, "relations": {rel: counts}, "quarantined": {reason: n}}</c>
/// with counts <c>{"facts", "templates", "queries_causal", "queries_masked"}</c>.
/// </summary>
public static class DataStatsCommand
{
    /// <summary>The <c>stats</c> subcommand of the <c>data</c> group (<see cref="DataCommand"/>).</summary>
    public static Command CreateStats()
    {
        var target = new Argument<string>("dir-or-name")
        {
            Description = $"A benchmark folder, or '{BenchmarkLoaders.EmbeddedName}' for the embedded benchmark",
        };
        var format = new Option<string?>("--format")
        {
            Description = "The benchmark format (default: rml-lama for 'embedded', else detected from the layout)",
        };
        format.AcceptOnlyFromAmong([.. BenchmarkLoaders.Formats]);
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of tables" };
        var cmd = new Command("stats", "Count facts, templates and queries per language and relation")
        {
            target, format, json,
        };
        cmd.SetAction((parse, _) => Task.FromResult(ReportUsage(() =>
            Run(parse.GetValue(target)!, parse.GetValue(format), parse.GetValue(json)))));
        return cmd;
    }

    // System.CommandLine's default exception handler would print a stack trace and exit 1 before CliApp sees a
    // UsageException, so the usage error is reported here: message on stderr, exit code 2.
    private static int ReportUsage(Func<int> run)
    {
        try
        {
            return run();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }
    }

    private static int Run(string target, string? format, bool json)
    {
        BenchmarkStats stats;
        try
        {
            var (dir, loader) = BenchmarkLoaders.Resolve(target, format);
            Console.Error.WriteLine($"reading {dir} as {loader.Format}");
            stats = BenchmarkStats.Compute(loader, dir);
        }
        catch (BenchmarkLayoutException e)
        {
            throw new UsageException(e.Message);
        }
        if (json)
            WriteJson(stats);
        else
            WriteTables(stats);
        return ExitCodes.Ok;
    }

    private static void WriteJson(BenchmarkStats stats)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            WriteRows(w, "languages", stats.Languages);
            WriteRows(w, "relations", stats.Relations);
            w.WriteStartObject("quarantined");
            foreach (var (reason, n) in stats.Quarantined)
                w.WriteNumber(reason, n);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        stdout.Write("\n"u8);
    }

    private static void WriteRows(Utf8JsonWriter w, string name, IEnumerable<KeyValuePair<string, StatsRow>> rows)
    {
        w.WriteStartObject(name);
        foreach (var (key, r) in rows)
        {
            w.WriteStartObject(key);
            w.WriteNumber("facts", r.Facts);
            w.WriteNumber("templates", r.Templates);
            w.WriteNumber("queries_causal", r.QueriesCausal);
            w.WriteNumber("queries_masked", r.QueriesMasked);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteTables(BenchmarkStats stats)
    {
        Console.WriteLine($"benchmark {stats.Directory} ({stats.Format})");
        Console.WriteLine();
        WriteTable(Console.Out, ["language", "facts", "templates", "queries_causal", "queries_masked"],
            Rows(stats.Languages, includeTotal: true));
        Console.WriteLine();
        WriteTable(Console.Out, ["relation", "facts", "templates", "queries_causal", "queries_masked"],
            Rows(stats.Relations, includeTotal: false));
        Console.WriteLine();
        WriteTable(Console.Out, ["quarantined", "count"],
            stats.Quarantined.Select(kv => new[] { kv.Key, kv.Value.ToString("N0") }).ToArray());
        if (stats.Skipped.Count > 0)
        {
            Console.WriteLine();
            WriteTable(Console.Out, ["skipped", "count"],
                stats.Skipped.Select(kv => new[] { kv.Key, kv.Value.ToString("N0") }).ToArray());
        }
        if (stats.Examples.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("first quarantined records:");
            foreach (var q in stats.Examples)
                Console.WriteLine($"  {q.Source}:{q.Line} {q.Reason}: {q.Detail}");
        }
    }

    private static string[][] Rows(IEnumerable<KeyValuePair<string, StatsRow>> rows, bool includeTotal)
    {
        var list = rows.Select(kv => Cells(kv.Key, kv.Value)).ToList();
        if (includeTotal && list.Count > 1)
        {
            var all = rows.Select(kv => kv.Value).ToArray();
            list.Add(Cells("total", new StatsRow(all.Sum(r => r.Facts), all.Sum(r => r.Templates),
                all.Sum(r => r.QueriesCausal), all.Sum(r => r.QueriesMasked))));
        }
        return list.ToArray();
    }

    private static string[] Cells(string key, StatsRow r) =>
        [key, r.Facts.ToString("N0"), r.Templates.ToString("N0"), r.QueriesCausal.ToString("N0"),
            r.QueriesMasked.ToString("N0")];

    // Plain aligned table: first column left-aligned, the numbers right-aligned.
    private static void WriteTable(TextWriter output, IReadOnlyList<string> header, IReadOnlyList<string[]> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length)))
            .ToArray();
        output.WriteLine(TableLine(header, widths));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
            output.WriteLine(TableLine(row, widths));
    }

    private static string TableLine(IReadOnlyList<string> cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();
}
