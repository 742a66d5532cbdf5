using System.Diagnostics;
using System.Text;
using System.Text.Json;
using KnPipeline.Report.Sections;
using KnPipeline.Runs;
using KnPipeline.Stages.Records;

namespace KnPipeline.Report;

/// <summary>
/// <c>pipeline report &lt;run-dir&gt;</c> and the run's last phase: writes <c>&lt;run-dir&gt;/report/</c> from the run
/// folder alone (tables, chunk markers, manifest, summary): <c>index.html</c>, <c>README.md</c> with the same content,
/// one PNG per figure with a CSV of its numbers, and <c>summary.json</c>. It never loads a model, so a report is
/// rebuilt in seconds, anywhere.
/// </summary>
public static class ReportBuilder
{
    /// <summary>The sections, in page order. A new analysis adds its section file and one line here.</summary>
    public static IReadOnlyList<IReportSection> Sections { get; } =
    [
        new RunSection(), new ModelSection(), new TokenizationSection(), new FidelitySection(),
        new KnowledgeNeuronsSection(), new MatriceSection(), new QueryLocalizationSection(),
        new EditingSection(),
    ];

    /// <summary>The tables a report can read (a section lists those it needs): every registered one.</summary>
    public static IEnumerable<string> Tables => TableRegistry.Names;

    public sealed record Result(string Dir, IReadOnlyList<string> Figures, double Seconds);

    public static Result Build(string runDir, string? outDir = null)
    {
        var clock = Stopwatch.StartNew();
        ReportFonts.Register();
        var run = new RunFolder(runDir);
        if (!Directory.Exists(run.Path))
            throw new UsageException($"run folder {run.Path} does not exist");
        string dir = Path.GetFullPath(outDir ?? Path.Combine(run.Path, "report"));
        Directory.CreateDirectory(dir);
        // The folder is the report's own: figures an earlier build wrote and this one does not are removed.
        foreach (var f in Directory.EnumerateFiles(dir).Where(f => f.EndsWith(".png") || f.EndsWith(".csv")))
            File.Delete(f);

        using var ctx = new ReportContext(run, dir, Tables);
        var doc = new ReportDocument($"Run report: {Path.GetFileName(run.Path)}");
        doc.Preface.Add(new ReportDocument.Paragraph(
            $"Written by `pipeline report` from the run folder `{run.Path}` alone (its Parquet tables, chunk " +
            "markers, " +
            "manifest.json and summary.json); no model was loaded. Every figure has a CSV beside it holding exactly " +
            "the numbers it plots. `summary.json` here has the keys of the run's summary.json, with counts " +
            "recomputed from the run folder and timings copied from the run."));
        var figures = new List<string>();
        foreach (var section in Sections)
        {
            var s = new ReportDocument.Section(section.Anchor, section.Title, []);
            doc.Sections.Add(s);
            var w = new SectionWriter(ctx, s);
            var missing = section.Tables.Where(t => !ctx.Tables.Has(t)).ToList();
            if (missing.Count > 0)
                w.Text($"No data: this run has no {string.Join(" or ", missing.Select(t => $"`{t}`"))} table" +
                       $"{(missing.Count > 1 ? "s" : "")}{WhyMissing(missing)}.");
            else
                section.Write(ctx, w);
            figures.AddRange(w.FiguresWritten);
        }
        var utf8 = new UTF8Encoding(false);
        File.WriteAllText(Path.Combine(dir, "index.html"), doc.ToHtml(), utf8);
        File.WriteAllText(Path.Combine(dir, "README.md"), doc.ToMarkdown(), utf8);
        File.WriteAllText(Path.Combine(dir, "summary.json"),
            ReportSummary.Build(ctx).ToJsonString(new JsonSerializerOptions { WriteIndented = true }), utf8);
        return new Result(dir, figures, clock.Elapsed.TotalSeconds);
    }

    private static string WhyMissing(List<string> tables) =>
        tables.Contains("predictions") ? " (runs written before the predictions table existed lack it)"
        : tables.Contains("attributions") || tables.Contains("kn_sets")
            ? " (no query was attributed: none answered correctly under `localize: correct`, or the run is empty)"
            : "";
}
