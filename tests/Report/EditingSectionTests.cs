using System.Text.Json;
using System.Text.Json.Nodes;
using KnPipeline.Hosting;
using KnPipeline.Report;
using KnPipeline.Report.Sections;
using KnPipeline.Runs;
using KnPipeline.Stages.Editing;
using Xunit;

namespace KnPipeline.Tests.Report;

/// <summary>
/// The editing section over a hand-written <c>reduce/editing.json</c> (serialized as <see cref="EditingReducer"/>
/// does): the tables hold the file's numbers as written, ΔPPL in the millions reads as a power of ten, the chosen
/// dev values are marked, the figures land with their CSVs, and a run without the file says so.
/// </summary>
public sealed class EditingSectionTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kn-edit").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }

    private static MetricStat S(double mean, double low, double high, int edits = 4) =>
        new(mean, low, high, edits, edits);

    private static WeightEditRow W(string op, string selection, bool control, string scheme, string cls,
        double rel, double dppl) =>
        new(op, selection, control, scheme, cls, 12, S(rel, rel / 2, Math.Min(1, rel * 1.5)), S(0.2, 0.1, 0.3),
            S(0.3, 0.2, 0.4), S(0.1, 0, 0.2, 3), S(0.05, 0.01, 0.09), S(0.9, 0.8, 1), S(dppl, dppl / 2, dppl * 2));

    private static ActivationEditRow A(string op, string selection, bool control, double mean, double half) =>
        new(op, selection, control, EditingReduction.All, 12, S(mean, mean - half, mean + half),
            S(mean * 5, mean * 5 - half, mean * 5 + half), S(mean / 2, mean / 2 - half, mean / 2 + half),
            MetricStat.Empty, S(0.01, 0, 0.02), S(-0.01, -0.02, 0), S(-0.1, -0.2, 0));

    private static TuningPoint P(string step, double beta2, double t, double lambda2, string selection, bool control,
        double rel, double loc) =>
        new(step, beta2, t, lambda2, selection, control, rel, 0.2, loc, double.NaN, 6);

    private RunFolder NewRun(bool withFile)
    {
        var run = new RunFolder(Path.Combine(_root, withFile ? "run" : "empty"));
        Directory.CreateDirectory(run.Path);
        File.WriteAllText(run.ManifestPath, """
            { "config": { "run": { "seed": 7 } }, "model": { "family": "gpt2" }, "definitions": {} }
            """);
        if (!withFile)
            return run;
        var reduction = new EditingReduction("dai", 0.3, 4, 40,
        [
            W("erase", "own", false, EditingReduction.Static, EditingReduction.All, 0.5, -15.2),
            W("erase", "own", true, EditingReduction.Static, EditingReduction.All, 0, 26.5),
            W("erase", "own", false, EditingReduction.Otsu, EditingReduction.Ki, 0.25, -3),
            W("update", "cas", false, EditingReduction.Static, EditingReduction.All, 0.75, 1234567),
            W("update", "cas", true, EditingReduction.Static, EditingReduction.All, 0.125, 1331.8),
        ],
        [
            A("suppress", "own", false, -0.4, 0.1), A("suppress", "own", true, 0.01, 0.03),
            A("enhance", "own", false, 0.1, 0.05), A("enhance", "own", true, -0.01, 0.02),
        ]) { EmptySets = new Dictionary<string, int> { ["agnostic"] = 2 } };
        var tuning = new TuningResult(1, 4, 1, 2, 0.2, 0, true, 3, 3, 60, 1.5, 2.5,
        [
            P("selection", 1, 0.2, 8, "cas", false, 0.5, 0.5), P("selection", 2, 0.2, 8, "cas", false, 1, 0.6),
            P("lambda2", 2, 0.2, 1, "own", false, 0.5, 0.9), P("lambda2", 2, 0.2, 4, "own", false, 1, 0.3),
            P("lambda2", 2, 0.2, 1, "cas", false, 0.25, 0.95), P("lambda2", 2, 0.2, 4, "cas", false, 1, 0.7),
            P("lambda2", 2, 0.2, 1, "cas", true, 0, 1), P("lambda2", 2, 0.2, 4, "cas", true, 0, 0.98),
        ]);
        var file = new JsonObject
        {
            ["weights_restored"] = true,
            ["reduction"] = JsonSerializer.SerializeToNode(reduction, EditingPhase.Json),
            ["tuning"] = JsonSerializer.SerializeToNode(tuning, EditingPhase.Json),
        };
        Directory.CreateDirectory(Path.Combine(run.Path, "reduce"));
        File.WriteAllText(EditingSection.PathOf(run.Path), file.ToJsonString(EditingPhase.Json));
        return run;
    }

    private (ReportDocument.Section Section, SectionWriter Writer, string Dir) Build(RunFolder run)
    {
        string dir = Path.Combine(run.Path, "report");
        Directory.CreateDirectory(dir);
        using var ctx = new ReportContext(run, dir, ReportBuilder.Tables);
        var section = new ReportDocument.Section("editing", "Editing", []);
        var w = new SectionWriter(ctx, section);
        new EditingSection().Write(ctx, w);
        return (section, w, dir);
    }

    private static string Text(ReportDocument.Section s) => string.Join("\n",
        s.Blocks.OfType<ReportDocument.Paragraph>().Select(p => p.Text));

    [Fact]
    public void TablesFiguresAndTheChosenValuesComeFromTheFile()
    {
        var (section, w, dir) = Build(NewRun(withFile: true));
        var tables = section.Blocks.OfType<ReportDocument.Table>().ToList();

        var main = tables.First(t => t.Header.Contains("set size"));
        var own = main.Rows.Single(r => r[0] == "erase" && r[1] == "own" && r[2] == "all");
        Assert.Equal("0.5 [0.25,\u00a00.75]", own[3]);
        Assert.Equal("-15.2 [-7.6,\u00a0-30.4]", own[7]);
        Assert.Contains(main.Rows, r => r[1] == "random (own)" && r[3] == "0 [0,\u00a00]");
        var update = main.Rows.Single(r => r[0] == "update" && r[1] == "cas" && r[2] == "all");
        Assert.Equal("1.23×10⁶ [6.17×10⁵,\u00a02.47×10⁶]", update[7]);
        Assert.Equal("0.617", update[6]); // Avg = (0.75 + 0.2 + 0.9) / 3
        Assert.Equal("1.33×10³", main.Rows.Single(r => r[1] == "random (cas)")[7][..8]);

        var otsu = tables.Single(t => t.Rows.Any(r => r[2] == "K_I") && !t.Header.Contains("set size"));
        Assert.Equal("0.25 [0.125,\u00a00.375]", otsu.Rows.Single()[3]);

        var gen = tables.Single(t => t.Header.Contains("held-out"));
        Assert.Equal("0.3 [0.2,\u00a00.4]", gen.Rows.First()[3]);

        var activation = tables.Single(t => t.Header.Contains("Δprob unrelated"));
        Assert.Equal("-0.4 [-0.5,\u00a0-0.3]", activation.Rows.Single(r => r[0] == "suppress" && r[1] == "own")[2]);
        Assert.Equal("–", activation.Rows.First()[5]); // held-out undefined

        // Only the β₂ = 2, t = 0.2 row of the selection step is marked.
        var grid = tables.Single(t => t.Header.Contains("chosen"));
        Assert.Equal(["", "◀ chosen"], grid.Rows.Select(r => r[^1]));
        Assert.Equal("2", grid.Rows[1][0]);

        string text = Text(section);
        Assert.Contains("λ₂ = 4", text);
        Assert.Contains("`agnostic` 2", text);
        Assert.Contains("3 facts, 3 cells, 60 edits, 4 s", text);
        Assert.Contains("No rows for `union`, `refined`, `agnostic`", text);
        Assert.Contains("τ = 0.3", text);
        Assert.Contains("each row is over 4 edits", text);
        Assert.Contains("Suppressing `own` changes Δprob by -0.4 [-0.5,\u00a0-0.3] against 0.01 " +
                        "[-0.02,\u00a00.04] for random neurons: below random, with intervals that do not overlap", text);
        Assert.Contains("Enhancing `own` changes Δlog-odds by 0.5", text);

        Assert.Equal(["edit_suppress", "edit_enhance", "edit_tradeoff"], w.FiguresWritten);
        foreach (var f in w.FiguresWritten)
        {
            Assert.True(new FileInfo(Path.Combine(dir, f + ".png")).Length > 5000, f);
            Assert.True(File.Exists(Path.Combine(dir, f + ".csv")), f);
        }
        var tradeoff = File.ReadAllLines(Path.Combine(dir, "edit_tradeoff.csv"));
        Assert.Equal("selection,lambda2,locality,reliability,generalization,edits,chosen", tradeoff[0]);
        Assert.Equal(
        [
            "own,1,0.9,0.5,0.2,6,False", "own,4,0.3,1,0.2,6,True", "cas,1,0.95,0.25,0.2,6,False",
            "cas,4,0.7,1,0.2,6,True", "random (cas),1,1,0,0.2,6,False", "random (cas),4,0.98,0,0.2,6,True",
        ], tradeoff[1..]);
        var suppress = File.ReadAllLines(Path.Combine(dir, "edit_suppress.csv"));
        Assert.Equal(["own,False,-0.4,-0.5,-0.3,4,4,12", "own,True,0.01,-0.02,0.04,4,4,12"], suppress[1..]);
    }

    [Fact]
    public void ARunWithoutTheFileSaysSo()
    {
        var (section, w, _) = Build(NewRun(withFile: false));
        Assert.Equal([EditingSection.NoData], section.Blocks.Select(b => ((ReportDocument.Paragraph)b).Text));
        Assert.Empty(w.FiguresWritten);
    }

    [Theory]
    [InlineData(-15.09, "-15.1")]
    [InlineData(999.4, "999")]
    [InlineData(1331.8, "1.33×10³")]
    [InlineData(2286123733992.0, "2.29×10¹²")]
    [InlineData(-99960, "-1×10⁵")]
    [InlineData(double.NaN, "–")]
    public void PerplexityChangesReadAsPowersOfTen(double v, string expected) =>
        Assert.Equal(expected, EditingSection.Ppl(v));
}
