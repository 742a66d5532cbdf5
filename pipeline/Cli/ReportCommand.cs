using System.CommandLine;
using KnPipeline.Report;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline report &lt;run-dir&gt; [--out DIR]</c>: writes the run's report (index.html, README.md, figures with
/// their CSVs, summary.json) from the run folder alone, without loading a model.
/// </summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var runDir = new Argument<string>("run-dir") { Description = "The run folder" };
        var output = new Option<string?>("--out") { Description = "Write the report here (default: <run-dir>/report)" };
        var cmd = new Command("report", "Write a run's report (HTML, Markdown, figures) from its run folder")
            { runDir, output };
        cmd.SetAction((pr, _) =>
        {
            var result = ReportBuilder.Build(pr.GetValue(runDir)!, pr.GetValue(output));
            Console.WriteLine(Path.Combine(result.Dir, "index.html"));
            Console.Error.WriteLine($"report: {result.Figures.Count} figures in {result.Seconds:F1} s");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
