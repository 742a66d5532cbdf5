using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using KnPipeline.Export;
using KnPipeline.Runs;
using KnPipeline.Stages.Records;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline export &lt;run-dir&gt; &lt;table&gt; --format jsonl|csv [--out FILE]</c> and
/// <c>pipeline export &lt;run-dir&gt; --list</c>, over the tables of <see cref="TableRegistry"/>. Records come out
/// sorted by the table's key with floats in shortest round-trip form, so two runs compare with diff.
/// </summary>
public static class ExportCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static Command Create()
    {
        var runDir = new Argument<string>("run-dir") { Description = "The run folder" };
        var table = new Argument<string?>("table")
        {
            Description = $"One of {string.Join(", ", TableRegistry.Names)}", Arity = ArgumentArity.ZeroOrOne,
        };
        var format = new Option<string>("--format")
        {
            Description = "jsonl or csv", DefaultValueFactory = _ => "jsonl",
        };
        format.AcceptOnlyFromAmong("jsonl", "csv");
        var output = new Option<string?>("--out") { Description = "Write to this file instead of stdout" };
        var list = new Option<bool>("--list") { Description = "List the tables with their row counts" };
        var cmd = new Command("export", "Export a run table in a stable, diffable order")
        {
            runDir, table, format, output, list,
        };
        cmd.SetAction(async (pr, ct) =>
        {
            var run = new RunFolder(pr.GetValue(runDir)!);
            if (!Directory.Exists(run.Path))
                throw new UsageException($"run folder {run.Path} does not exist");
            if (pr.GetValue(list))
            {
                foreach (var t in TableRegistry.All)
                    Console.WriteLine($"{t.Name} {await TableReader.CountAsync(run, t)}");
                return 0;
            }
            string name = pr.GetValue(table) ?? throw new UsageException("name a table, or use --list");
            var spec = TableRegistry.Find(name) ?? throw new UsageException(
                $"unknown table '{name}' (tables: {string.Join(", ", TableRegistry.Names)})");
            var rows = await TableReader.ReadSortedAsync(run, spec);
            string? outPath = pr.GetValue(output);
            // stdout goes through Console.Out, so a host that redirects the console (tests, tools) sees it.
            TextWriter w = outPath is null
                ? Console.Out
                : new StreamWriter(File.Create(outPath), new UTF8Encoding(false)) { NewLine = "\n" };
            if (pr.GetValue(format) == "jsonl")
                foreach (var r in rows)
                    await w.WriteLineAsync(JsonSerializer.Serialize(r, r.GetType(), Json));
            else
                await WriteCsv(w, rows);
            await w.FlushAsync();
            if (outPath is not null)
                await w.DisposeAsync();
            return 0;
        });
        return cmd;
    }

    private static async Task WriteCsv(TextWriter w, List<object> rows)
    {
        if (rows.Count == 0)
            return;
        var props = rows[0].GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0).ToList();
        await w.WriteLineAsync(
            string.Join(",", props.Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name))));
        foreach (var r in rows)
            await w.WriteLineAsync(string.Join(",", props.Select(p => Cell(p.GetValue(r)))));
    }

    private static string Cell(object? v)
    {
        string s = v switch
        {
            null => "",
            string t => t,
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            float f => f.ToString("R", CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            System.Collections.IEnumerable e => JsonSerializer.Serialize(e, Json),
            _ => v.ToString() ?? "",
        };
        return s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{s.Replace("\"", "\"\"")}\"" : s;
    }
}
