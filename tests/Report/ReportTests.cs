using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json.Nodes;
using KnPipeline.Cli;
using KnPipeline.Export;
using KnPipeline.Report;
using KnPipeline.Runs;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Config;
using KnPipeline.Tests.Pipeline;
using Xunit;
using static KnPipeline.Tests.Support.CliRunner;

namespace KnPipeline.Tests.Report;

/// <summary>
/// The report of a small run end to end: the run writes it by default; every figure is a PNG of a sensible size with
/// its CSV; the CSV numbers equal a recomputation from the Parquet records in C# loops (the report computes them in
/// DuckDB SQL); and the report of two shards merged equals the single run's, CSV for CSV, timings aside.
/// </summary>
[Collection(ConfigConsoleCollection.Name)]
public class ReportTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kn-report").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }

    [Fact]
    public async Task TheRunWritesItsReportAndTheFiguresHoldTheTablesNumbers()
    {
        string cfg = PipelineFixture.WriteConfig(_root);
        string single = Path.Combine(_root, "single"), sharded = Path.Combine(_root, "sharded");
        var (code, _, err) = await RunCli("run", "--config", cfg, "--run-dir", single);
        Assert.True(code == 0, err);
        string report = Path.Combine(single, "report");
        Assert.True(File.Exists(Path.Combine(report, "index.html")), "the default run writes its report");
        var figures = CheckFigures(report);
        Assert.Contains("run_counts_per_language", figures);
        Assert.Contains("kn_per_layer", figures);
        Assert.Contains("kn_per_layer_by_method", figures);
        Assert.Contains("model_accuracy", figures);
        Assert.Contains("fidelity_relative_gap", figures);
        Assert.Contains(figures, f => f.StartsWith("kn_heatmap_", StringComparison.Ordinal));
        await CheckAgainstRecords(single);
        CheckSummary(single);

        // --no-report: a shard never writes one (its facts are a part); the merged run's comes from `pipeline report`.
        Assert.Equal(0,
            (await RunCli("run", "--config", cfg, "--run-dir", sharded, "--shard", "0/2", "--no-report")).Code);
        Assert.Equal(0, (await RunCli("run", "--config", cfg, "--run-dir", sharded, "--shard", "1/2")).Code);
        Assert.False(Directory.Exists(Path.Combine(sharded, "report")));
        Assert.Equal(0, (await RunCli("merge", sharded)).Code);
        (code, var stdout, err) = await RunCli("report", sharded);
        Assert.True(code == 0, err);
        Assert.Equal(Path.Combine(sharded, "report", "index.html"), stdout.Trim());
        Assert.Equal(figures, CheckFigures(Path.Combine(sharded, "report")));
        foreach (var f in figures.Where(f => !f.EndsWith("_seconds", StringComparison.Ordinal)))
            Assert.True(File.ReadAllText(Path.Combine(report, f + ".csv")) ==
                        File.ReadAllText(Path.Combine(sharded, "report", f + ".csv")), $"{f}.csv differs");
        var a = JsonNode.Parse(File.ReadAllText(Path.Combine(report, "summary.json")))!.AsObject();
        var b = JsonNode.Parse(File.ReadAllText(Path.Combine(sharded, "report", "summary.json")))!.AsObject();
        Assert.Equal(a.Select(kv => kv.Key).Order(), b.Select(kv => kv.Key).Order());
        foreach (var (key, v) in a.Where(kv => !ReportSummary.IsMeasured(kv.Key)))
            Assert.True(JsonNode.DeepEquals(v, b[key]), $"summary key {key}: {v} vs {b[key]}");
    }

    [Fact]
    public async Task AnEmptyTableMakesASectionSayWhyNotFail()
    {
        string cfg = PipelineFixture.WriteConfig(_root);
        string dir = Path.Combine(_root, "run");
        Assert.Equal(0, (await RunCli("run", "--config", cfg, "--run-dir", dir, "--no-report")).Code);
        Assert.False(Directory.Exists(Path.Combine(dir, "report")));
        Directory.Delete(Path.Combine(dir, "kn_sets"), true);
        Assert.Equal(0, (await RunCli("report", dir)).Code);
        string html = File.ReadAllText(Path.Combine(dir, "report", "index.html"));
        Assert.Contains("No data: this run has no <code>kn_sets</code> table", html);
        Assert.False(File.Exists(Path.Combine(dir, "report", "kn_per_layer.png")));
        Assert.True(File.Exists(Path.Combine(dir, "report", "fidelity_relative_gap.png")));
    }

    [Fact]
    public void ThePlottingFontsDrawText()
    {
        ReportFonts.Register();
        Assert.Equal(11, ReportFonts.Glyphs(ReportFonts.Sans, "Accuracy ÄБ"));
        Assert.Equal(8, ReportFonts.Glyphs(ReportFonts.Cjk, "巴黎パリ서울東京"));
        Assert.Equal(ReportFonts.Cjk, ReportFonts.For("zh: 巴黎"));
        // Text must reach the pixels: without glyphs ScottPlot draws a title as nothing and still writes the PNG.
        Assert.Equal(0, DarkPixelsInTitle(""));
        Assert.True(DarkPixelsInTitle("Accuracy") > 100);
        Assert.True(DarkPixelsInTitle("巴黎パリ") > 100);
    }

    private static int DarkPixelsInTitle(string title)
    {
        using var plot = new ScottPlot.Plot();
        plot.Title(title);
        plot.Axes.Title.Label.FontName = ReportFonts.For(title);
        plot.Axes.Title.Label.ForeColor = ScottPlot.Colors.Black;
        // A fixed layout, so the band above the data area holds the title and nothing else.
        plot.Layout.Fixed(new ScottPlot.PixelPadding(50, 10, 40, 40));
        var png = plot.GetImageBytes(400, 300, ScottPlot.ImageFormat.Png);
        using var bmp = SkiaSharp.SKBitmap.Decode(png);
        int dark = 0;
        for (int y = 0; y < 30; y++)
            for (int x = 0; x < bmp.Width; x++)
                if (bmp.GetPixel(x, y) is var c && c.Red < 128 && c.Green < 128 && c.Blue < 128)
                    dark++;
        return dark;
    }

    /// <summary>Every PNG is a PNG of a readable size with its CSV beside it, and both pages show it.</summary>
    private static List<string> CheckFigures(string report)
    {
        string html = File.ReadAllText(Path.Combine(report, "index.html"));
        string md = File.ReadAllText(Path.Combine(report, "README.md"));
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", ""));
        var names = Directory.GetFiles(report, "*.png").Select(Path.GetFileNameWithoutExtension)
            .Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(names);
        foreach (var name in names)
        {
            var bytes = File.ReadAllBytes(Path.Combine(report, name + ".png"));
            Assert.True(bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }),
                $"{name}.png is not a PNG");
            int width = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16));
            int height = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
            Assert.InRange(width, 300, 1600);
            Assert.InRange(height, 200, 1600);
            Assert.True(bytes.Length > 5000, $"{name}.png has {bytes.Length} bytes: an empty figure?");
            Assert.True(File.Exists(Path.Combine(report, name + ".csv")), $"{name}.png has no CSV");
            Assert.Contains($"src=\"{name}.png\"", html);
            Assert.Contains($"]({name}.png)", md);
        }
        Assert.Equal(names.Count, Directory.GetFiles(report, "*.csv").Length);
        return names!;
    }

    private static List<Dictionary<string, string>> Csv(string run, string figure)
    {
        var lines = File.ReadAllLines(Path.Combine(run, "report", figure + ".csv"));
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second)).ToList();
    }

    private static async Task<List<T>> Records<T>(string run, string table)
    {
        var list = new List<T>();
        await foreach (var r in TableReader.ReadAll(new RunFolder(run), TableRegistry.Find(table)!))
            list.Add((T)r);
        return list;
    }

    /// <summary>The figures' CSVs against hand counts over the records in C# (the report uses DuckDB SQL).</summary>
    private static async Task CheckAgainstRecords(string run)
    {
        var queries = await Records<QueryRecord>(run, "queries");
        var tokenized = await Records<TokenizedQueryRecord>(run, "tokenized");
        // The report's figures are over the first method (dai by default); one figure shows every method.
        var allKn = await Records<KnSetRecord>(run, "kn_sets");
        Assert.Equal(["amig", "dai"], allKn.Select(k => k.Method).Distinct().Order());
        var attributions = (await Records<AttributionRecord>(run, "attributions")).Where(a => a.Method == "dai")
            .ToList();
        var kn = allKn.Where(k => k.Method == "dai").ToList();
        var predictions = await Records<PredictionRecord>(run, "predictions");

        // One prediction per tokenized query, localized or not; a correct one is top-1 at rank 0.
        Assert.Equal(tokenized.Select(t => t.QueryId).Order(), predictions.Select(p => p.QueryId).Order());
        Assert.All(predictions, p => Assert.Equal(p.Correct, p.GoldRank == 0 && p.Top1Id == p.GoldId));
        var objectOf = queries.ToDictionary(q => q.QueryId, q => q.Object);
        // The baseline's object per (relation, language): the object of the most facts, ties to the smaller string.
        var common = queries.Select(q => (q.Relation, q.Language, q.FactId, q.Object)).Distinct()
            .GroupBy(f => (f.Relation, f.Language))
            .ToDictionary(g => g.Key, g => g.GroupBy(f => f.Object).OrderByDescending(o => o.Count())
                .ThenBy(o => o.Key, StringComparer.Ordinal).First().Key);
        var accuracy = Csv(run, "model_accuracy");
        Assert.Equal(predictions.Select(p => (p.Language, p.Split)).Distinct().Count(), accuracy.Count);
        foreach (var r in accuracy)
        {
            var cell = predictions.Where(p => p.Language == r["language"] && p.Split == r["split"]).ToList();
            Assert.Equal(cell.Count, int.Parse(r["queries"]));
            Assert.Equal(FigureData.Num(cell.Average(p => p.Correct ? 1.0 : 0.0)),
                double.Parse(r["accuracy"], CultureInfo.InvariantCulture));
            Assert.Equal(
                FigureData.Num(cell.Average(p => objectOf[p.QueryId] == common[(p.Relation, p.Language)] ? 1.0 : 0.0)),
                double.Parse(r["most_frequent_object_baseline"], CultureInfo.InvariantCulture));
        }

        // Each query split is a group of its own in the Model table, a language-held-out cell's labelled as such
        // (#13); the small run's sample has all three (each fact is held out in 2 of its 8 languages).
        Assert.Equal(["heldout", "heldout-language", "train"], predictions.Select(p => p.Split).Distinct().Order());
        string markdown = File.ReadAllText(Path.Combine(run, "report", "README.md"));
        foreach (var (language, label) in predictions.Select(p => (p.Language, p.Split)).Distinct()
                     .Select(c => (c.Language, c.Split switch
                     {
                         "heldout" => "held-out template", "heldout-language" => "held-out language", _ => "train",
                     })))
            Assert.Contains($"| {LanguageNames.WithCode(language)} | {label} |", markdown);

        var counts = Csv(run, "run_counts_per_language");
        Assert.Equal(PipelineFixture.Languages, counts.Select(r => r["language"]));
        foreach (var r in counts)
        {
            string l = r["language"];
            Assert.Equal(queries.Where(q => q.Language == l).Select(q => q.FactId).Distinct().Count(),
                int.Parse(r["facts"]));
            Assert.Equal(queries.Count(q => q.Language == l), int.Parse(r["queries"]));
            Assert.Equal(tokenized.Count(q => q.Language == l), int.Parse(r["tokenized"]));
            Assert.Equal(attributions.Count(q => q.Language == l), int.Parse(r["attributed"]));
            Assert.Equal(kn.Count(q => q.Language == l), int.Parse(r["with_a_KN_set"]));
        }

        var perLayer = Csv(run, "kn_per_layer");
        Assert.Equal(kn.Sum(k => k.Layer.Length), perLayer.Sum(r => long.Parse(r["coarse_kns"])));
        foreach (var r in perLayer)
            Assert.Equal(
                kn.Where(k => k.Language == r["language"]).Sum(k => k.Layer.Count(l => l == int.Parse(r["layer"]))),
                long.Parse(r["coarse_kns"]));

        var byMethod = Csv(run, "kn_per_layer_by_method");
        Assert.Equal(["dai", "amig"], byMethod.Select(r => r["method"]).Distinct());
        foreach (var r in byMethod)
            Assert.Equal(
                allKn.Where(k => k.Method == r["method"]).Sum(k => k.Layer.Count(l => l == int.Parse(r["layer"]))),
                long.Parse(r["coarse_kns"]));

        var sizes = Csv(run, "kn_set_sizes");
        foreach (var r in sizes)
            Assert.Equal(kn.Count(k => k.Layer.Length >= int.Parse(r["size_low"])
                                       && k.Layer.Length <= int.Parse(r["size_high"])),
                int.Parse(r["queries"]));
        Assert.Equal(kn.Count, sizes.Sum(r => int.Parse(r["queries"])));

        var perObject = Csv(run, "tokenization_tokens_per_object");
        foreach (var r in perObject)
            Assert.Equal(
                FigureData.Num(tokenized.Where(t => t.Language == r["language"]).Average(t => (double)t.ObjectTokens)),
                double.Parse(r["tokens_per_object"], CultureInfo.InvariantCulture));

        // Relative gaps binned by half decades, by hand.
        var pairs = new Dictionary<(int, double), long>();
        foreach (var a in attributions.Where(a => !a.NonFinite))
            for (int i = 0; i < a.Layers.Length; i++)
            {
                double delta = Math.Abs(a.FA - a.LayerFBaseline[i]);
                if (delta == 0)
                    continue;
                double bin = Math.Clamp(Math.Floor(Math.Log10(Math.Abs(a.LayerGap[i]) / delta) / 0.5) * 0.5, -9, 2.5);
                pairs[(a.Layers[i], bin)] = pairs.GetValueOrDefault((a.Layers[i], bin)) + 1;
            }
        var gaps = Csv(run, "fidelity_relative_gap");
        foreach (var r in gaps)
            Assert.Equal(pairs.GetValueOrDefault((int.Parse(r["layer"]), double.Parse(r["log10_relative_gap_bin_low"],
                CultureInfo.InvariantCulture))), long.Parse(r["pairs"]));
        Assert.Equal(pairs.Values.Sum(), gaps.Sum(r => long.Parse(r["pairs"])));
    }

    /// <summary>The report's summary.json has the run's keys, with the same counts and statistics.</summary>
    private static void CheckSummary(string run)
    {
        var s = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!.AsObject();
        var r = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "report", "summary.json")))!.AsObject();
        Assert.Equal(s.Select(kv => kv.Key).Order(), r.Select(kv => kv.Key).Order());
        // The device stage counts the FLOPs of the batches it runs: a run that attributed anything achieved some.
        Assert.True(s["gflops"]!.GetValue<double>() > 0, $"gflops {s["gflops"]}");
        // The run writes its report's time after the report, which copied the summary before it.
        Assert.True(s["report_s"]!.GetValue<double>() > 0, $"report_s {s["report_s"]}");
        foreach (var (key, v) in s.Where(kv => kv.Key != "report_s"))
            Assert.True(JsonNode.DeepEquals(v, r[key]), $"{key}: run {v}, report {r[key]}");
    }
}
