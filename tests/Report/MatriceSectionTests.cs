using System.Text.Json.Nodes;
using KnPipeline.Hosting;
using KnPipeline.Report;
using KnPipeline.Report.Sections;
using KnPipeline.Runs;
using KnPipeline.Stages.Records;
using Xunit;
using static KnPipeline.Tests.Localization.MatriceStatisticsTests;

namespace KnPipeline.Tests.Report;

/// <summary>
/// The MATRICE reduce and report section over a run folder of hand-written parts (a real run takes minutes): the
/// summary keys equal hand computations, the files land in <c>reduce/</c>, every MATRICE figure is drawn with its
/// CSV, and a run without the tables gets null keys and a section that says why.
/// </summary>
public sealed class MatriceSectionTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kn-matrice").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }

    private static readonly string[] Languages = ["de", "en", "ja", "ru"];

    private static JsonObject Manifest() => JsonNode.Parse("""
        {
          "config": {
            "run": { "seed": 7 },
            "attribution": { "methods": ["dai", "amig"], "layers": [], "kn_threshold": 0.2 },
            "localization": { "tau": 0.3, "query_lambda": 1, "language_lambda": 1, "min_queries": 2,
                              "fact_specific_ratio": 0.1, "relation_top_k": 3, "bootstrap_resamples": 200 }
          },
          "languages": {
            "de": { "family": "Indo-European", "script": "Latin" },
            "en": { "family": "Indo-European", "script": "Latin" },
            "ja": { "family": "Japonic", "script": "Japanese" },
            "ru": { "family": "Indo-European", "script": "Cyrillic" }
          },
          "model": { "family": "gpt2" }, "definitions": {}
        }
        """)!.AsObject();

    private static async Task Write<T>(RunFolder run, TableDef<T> table, IEnumerable<T> records) where T : class
    {
        foreach (var part in table.Partitions(records.Cast<object>()))
        {
            string dir = Path.Combine(run.Path, table.Name, $"{table.PartitionColumn}={part.Key}");
            Directory.CreateDirectory(dir);
            await table.WritePartAsync(Path.Combine(dir, "part-c0.parquet"), part, new PartMetadata(""), 1000);
        }
    }

    /// <summary>Four facts of one relation in four languages, under two methods; see the test for the answers.
    /// </summary>
    private async Task<(RunFolder Run, double LoloMean)> WriteRun()
    {
        var run = new RunFolder(Path.Combine(_root, "run"));
        Directory.CreateDirectory(run.Path);
        File.WriteAllText(run.ManifestPath, Manifest().ToJsonString());
        (int, int)[][] agnostic = [[(0, 1), (1, 0)], [(0, 1)], [], [(1, 1)]];
        var matrice = new List<MatriceRecord>();
        var kns = new List<FactKnRecord>();
        var lolo = new List<LoloRecord>();
        for (int f = 0; f < 4; f++)
            foreach (var method in new[] { "dai", "amig" })
            {
                string fact = $"f{f + 1}";
                matrice.Add(M(fact, "R", 4, method == "dai" ? agnostic[f] : [], method: method,
                    score: [0.5f, 0.25f * f, 0.125f, 0]) with { Languages = Languages });
                matrice.Add(matrice[^1] with { LanguageVariant = "all", IsDefault = false, Score = [] });
                kns.Add(K(fact, "en", [(0, 1), (0, 2)], method: method, specific: [(0, 3)], querySigma: 0.1 * f));
                kns.Add(K(fact, "de", [(0, 1), (0, 2)], method: method));
                kns.Add(K(fact, "ru", [(0, 1)], method: method));
                kns.Add(K(fact, "ja", [], method: method));
                foreach (var b in new[] { "en", "de" })
                    foreach (var q in new[] { "q1", "q2" })
                        foreach (var (arm, i) in LocalizationArms.Select((a, i) => (a, i)))
                        {
                            int size = arm == "matrice" && method == "dai" ? agnostic[f].Length : 3;
                            // An empty set scales nothing: p_after = p_before.
                            double dprob = size == 0 ? 0 : -0.1 * i - 0.05 * f - (q == "q2" ? 0.02 : 0);
                            lolo.Add(L(fact, b, arm, dprob, query: q, method: method, size: size));
                        }
            }
        PredictionRecord P(string fact, bool correct) =>
            new($"{fact}|fi|t", fact, "R", "fi", "t", "heldout-language", 0, "", 0, correct ? 0 : 2, 0.1, correct);
        await Write(run, TableRegistry.Matrice, matrice);
        await Write(run, TableRegistry.FactKns, kns);
        await Write(run, TableRegistry.Lolo, lolo);
        await Write(run, TableRegistry.Predictions, [P("f1", true), P("f2", true), P("f3", false)]);
        double loloMean = lolo.Where(r => r is { Method: "dai", Arm: "matrice" }).Average(r => r.Dprob);
        return (run, loloMean);
    }

    private static readonly string[] LocalizationArms = KnPipeline.Stages.Localization.LocalizationStage.Arms;

    [Fact]
    public async Task TheReduceWritesTheKeysAndTheSectionDrawsEveryFigure()
    {
        var (run, loloMean) = await WriteRun();
        var summary = new JsonObject();
        ReducePhase.Run(run, summary, CancellationToken.None);
        double Key(string k) => summary[k]!.GetValue<double>();
        // dai: agnostic sizes 2, 1, 0, 1 over four facts with four languages each.
        Assert.Equal(1.0, Key("language_agnostic_kns"));
        // n = 4, so max(1, 0.4) = 1: (0,1) is agnostic for two facts (not specific), (1,0) and (1,1) for one.
        Assert.Equal(0.5, Key("language_agnostic_fact_specific_share"));
        // Every fact: en–de share both neurons (1); {en, de}–ru 0.5; ja's empty set 0 with every other.
        Assert.Equal(1.0, Key("overlap_jaccard_same_script"));
        Assert.Equal(0.2, Key("overlap_jaccard_cross_script"), 12);
        // f1 and f2 transfer (agnostic 2 and 1), f3 does not (0); f4 has no held-out-language query.
        Assert.Equal(1.5, Key("agnostic_kns_transfer"));
        Assert.Equal(0.0, Key("agnostic_kns_no_transfer"));
        Assert.Equal(loloMean, Key("lolo_matrice_dprob_mean"), 12);
        Assert.InRange(loloMean, Key("lolo_matrice_dprob_ci_low"), Key("lolo_matrice_dprob_ci_high"));
        // Three of four facts have a non-empty matrice set, for both held-out languages.
        Assert.Equal(0.75, Key("lolo_nonempty_share"));
        foreach (var arm in LocalizationArms)
            Assert.True(Key($"lolo_{arm}_dprob_ci_low") < Key($"lolo_{arm}_dprob_ci_high"), arm);
        Assert.Equal(MatriceReducer.Keys.Order(), summary.Where(kv => kv.Key != "reduce_s").Select(kv => kv.Key)
            .Except(EditingReducer.Keys).Except(QueryLocalizationReducer.Keys.Concat(
                new[] { "dai", "amig" }.SelectMany(QueryLocalizationReducer.MethodKeys)))
            .Order());
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(run.Path, "reduce", "matrice.json")))!;
        Assert.Equal(["dai", "amig"], json["methods"]!.AsArray().Select(m => m!["method"]!.ToString()));
        Assert.Equal(0, json["methods"]![1]!["agnostic_kns"]!["mean"]!.GetValue<double>());
        var relation = File.ReadAllLines(Path.Combine(run.Path, "reduce", "relation_kns.csv"));
        // Mean scores [0.5, 0.375, 0.125, 0] of layer 0 unit 0, layer 0 unit 1, layer 1 unit 0: the top 3.
        Assert.Equal("dai,R,1,0,0,0.5,4", relation[1]);
        Assert.Equal("dai,R,2,0,1,0.375,4", relation[2]);
        Assert.Equal(7, relation.Length);

        var report = ReportBuilder.Build(run.Path);
        var section = new MatriceSection();
        Assert.Equal(section.Figures.Order(),
            report.Figures.Where(f => f.StartsWith("matrice", StringComparison.Ordinal)).Order());
        foreach (var f in section.Figures)
        {
            Assert.True(new FileInfo(Path.Combine(report.Dir, f + ".png")).Length > 5000, f);
            Assert.True(File.Exists(Path.Combine(report.Dir, f + ".csv")), f);
        }
        var arms = File.ReadAllLines(Path.Combine(report.Dir, "matrice_lolo.csv"));
        Assert.Equal("arm,series,dprob_mean,ci_low,ci_high,queries,facts", arms[0]);
        Assert.StartsWith($"matrice,dai,{FigureData.Cell(loloMean)},", arms[1]);
        var perLayer = File.ReadAllLines(Path.Combine(report.Dir, "matrice_per_layer.csv"));
        // Agnostic: layer 0 twice ((0,1) in f1, f2), layer 1 twice; specific: en's (0,3) in every fact.
        Assert.Equal(["layer,agnostic_kns,specific_kns", "0,2,4", "1,2,0"], perLayer);
        string md = File.ReadAllText(Path.Combine(report.Dir, "README.md"));
        Assert.Contains("Jaccard index of two empty sets is 0", md);
        Assert.Contains("AMIG's own code multiplies by a_i where we multiply by (a − b̄)", md);
        Assert.Contains("200 resamples, run seed 7", md);
        Assert.Contains("| dai | 4 | 1 (over 4) | 0.5 (2/4) |", md);
    }

    [Fact]
    public void ARunWithoutTheTablesGetsNullKeysAndASectionThatSaysWhy()
    {
        var run = new RunFolder(Path.Combine(_root, "empty"));
        Directory.CreateDirectory(run.Path);
        File.WriteAllText(run.ManifestPath, Manifest().ToJsonString());
        var summary = new JsonObject();
        ReducePhase.Run(run, summary, CancellationToken.None);
        Assert.All(MatriceReducer.Keys, k => Assert.True(summary.ContainsKey(k) && summary[k] is null, k));
        Assert.False(Directory.Exists(Path.Combine(run.Path, "reduce")));
        var report = ReportBuilder.Build(run.Path);
        Assert.DoesNotContain(report.Figures, f => f.StartsWith("matrice", StringComparison.Ordinal));
        Assert.Contains("No data: this run has no <code>matrice</code> or <code>fact_kns</code> tables",
            File.ReadAllText(Path.Combine(report.Dir, "index.html")));
    }
}
