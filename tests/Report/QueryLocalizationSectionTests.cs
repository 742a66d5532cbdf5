using System.Text.Json.Nodes;
using KnPipeline.Hosting;
using KnPipeline.Report;
using KnPipeline.Runs;
using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Records;
using Xunit;

namespace KnPipeline.Tests.Report;

/// <summary>
/// The query-localization reduce and report section over a run folder of hand-written parts (a real run takes
/// minutes): the summary keys equal hand computations, the statistics land in <c>reduce/</c>, the section draws its
/// figures with their CSVs and spells the classes out, and a run without the tables gets null keys.
/// </summary>
public sealed class QueryLocalizationSectionTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kn-ql").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }

    private static JsonObject Manifest() => JsonNode.Parse("""
        {
          "config": {
            "run": { "seed": 7 },
            "attribution": { "methods": ["dai", "amig"], "kn_threshold": 0.2 },
            "consistency": { "queries": 2, "tau": 0.4, "otsu_bins": 10 },
            "localization": { "bootstrap_resamples": 200 }
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

    private static string Id(int f, string t) => $"f{f}|en|{t}";

    /// <summary>
    /// Six facts of one relation in English, two queries each (t1, t2) plus a held-out one (t3). f1–f4 answer token
    /// 7, with sets {(5,0), (0,f), (1,10f+t)} (own CS₂ 1/2); f5, f6 answer 8, with {(6,0), (1,10f+t)} (CS₂ 1/3).
    /// τ = 0.4, so f5 and f6 are inconsistent (K_II) under dai; amig's table also makes f1 inconsistent (0.2).
    /// </summary>
    private async Task<RunFolder> WriteRun()
    {
        var run = new RunFolder(Path.Combine(_root, "run"));
        Directory.CreateDirectory(run.Path);
        File.WriteAllText(run.ManifestPath, Manifest().ToJsonString());
        var consistency = new List<ConsistencyRecord>();
        var sets = new List<KnSetRecord>();
        var predictions = new List<PredictionRecord>();
        var interventions = new List<QueryInterventionRecord>();
        var synapses = new List<SynapseRecord>();
        (int, int)[] Set(int f, int t) => f <= 4 ? [(0, f), (1, 10 * f + t), (5, 0)] : [(1, 10 * f + t), (6, 0)];
        int[] heldoutCorrect = [2, 2, 2, 1, 0, 0];
        for (int f = 1; f <= 6; f++)
        {
            bool kii = f >= 5;
            foreach (var method in new[] { "dai", "amig" })
            {
                double cs2 = method == "amig" && f == 1 ? 0.2 : kii ? 1 / 3.0 : 0.5;
                consistency.Add(new ConsistencyRecord($"f{f}", "R", "en", method, "train", 2, true,
                    [Id(f, "t1"), Id(f, "t2")], cs2, cs2, cs2, cs2, 1, 3,
                    QueryLocalizationStatistics.ClassOf(cs2, 0.4), heldoutCorrect[f - 1], f == 6 ? 0 : 2));
                foreach (var t in new[] { 1, 2 })
                    sets.Add(new KnSetRecord(Id(f, $"t{t}"), $"f{f}", "R", "en", $"t{t}", 0.2, 1,
                        Set(f, t).Select(x => x.Item1).ToArray(), Set(f, t).Select(x => x.Item2).ToArray(),
                        Set(f, t).Select((_, i) => 1f - 0.25f * i).ToArray()) { Method = method });
            }
            foreach (var t in new[] { "t1", "t2", "t3" })
                predictions.Add(new PredictionRecord(Id(f, t), $"f{f}", "R", "en", t, t == "t3" ? "heldout" : "train",
                    0, "", f <= 4 ? 7 : 8, 0, 0.5, true));
            string cls = QueryLocalizationStatistics.ClassOf(kii ? 1 / 3.0 : 0.5, 0.4);
            QueryInterventionRecord Q(string t, string analysis, string arm, bool control, double alpha,
                double after, string source = "", int size = 2) =>
                new(Id(f, t), $"f{f}", "R", "en", t, t == "t3" ? "heldout" : "train", "dai", analysis, arm, control,
                    alpha, source, new int[size], new int[size], 0.5, after, kii ? 1 / 3.0 : 0.5, cls);
            foreach (var t in new[] { "t1", "t2" })
            {
                interventions.Add(Q(t, "kl_vs_ql", "kl_shared", false, 0, kii ? 0.45 : 0.35));
                interventions.Add(Q(t, "kl_vs_ql", "ql_own", false, 0, 0.3));
                interventions.Add(Q(t, "mapping", "own", false, 0, kii ? 0.4 : 0.25));
                interventions.Add(Q(t, "mapping", "own", true, 0, 0.5));
                interventions.Add(Q(t, "mapping", "own", false, 2, 0.6));
                interventions.Add(Q(t, "mapping", "own", true, 2, 0.5));
                interventions.Add(Q(t, "mapping", "intersection", false, 0, kii ? 0.5 : 0.3, size: kii ? 0 : 1));
                // f5's first query has two neighbour rows (-0.1, -0.2): averaged before its query counts once.
                if (f == 5 && t == "t1")
                {
                    interventions.Add(Q(t, "mapping", "neighbour", false, 0, 0.45, Id(f, "t2")));
                    interventions.Add(Q(t, "mapping", "neighbour", false, 0, 0.4, Id(f, "tx")));
                }
                else
                    interventions.Add(Q(t, "mapping", "neighbour", false, 0, kii ? 0.35 : 0.3, Id(f, "t9")));
                synapses.Add(new SynapseRecord(Id(f, t), $"f{f}", "R", "en", t, "train", "dai", "top_k", false, 0, 12,
                    3, 0.5, 0.3, -0.5));
                synapses.Add(new SynapseRecord(Id(f, t), $"f{f}", "R", "en", t, "train", "dai", "top_k", true, 0, 12,
                    3, 0.5, 0.45, f == 1 ? double.NaN : 0.1));
            }
            interventions.Add(Q("t3", "kl_vs_ql", "kl_shared", false, 0, 0.4));
        }
        SynapseHeatmapRecord H(int layer) => new(Id(1, "t1"), "f1", "R", "en", "t1", 0, layer, [50256, 11, 12, 13],
            [0.1f, 0.2f, 0.3f, 0.4f], [0.2f, 0.3f, 0f, 0.5f], [layer], [1.5f], [0.5f]);
        await Write(run, TableRegistry.Consistency, consistency);
        await Write(run, TableRegistry.KnSets, sets);
        await Write(run, TableRegistry.Predictions, predictions);
        await Write(run, TableRegistry.QlInterventions, interventions);
        await Write(run, TableRegistry.Synapses, synapses);
        await Write(run, TableRegistry.SynapseHeatmaps, [H(0), H(1)]);
        return run;
    }

    [Fact]
    public async Task TheReduceWritesTheKeysAndTheSectionDrawsEveryFigure()
    {
        var run = await WriteRun();
        var summary = new JsonObject();
        new QueryLocalizationReducer().Reduce(run, summary, CancellationToken.None);
        double Key(string k) => summary[k]!.GetValue<double>();
        Assert.Equal(2 / 6.0, Key("kii_ratio_static_dai"), 12);
        Assert.Equal(3 / 6.0, Key("kii_ratio_static_amig"), 12);
        // ∩: f5 and f6 are inconsistent (K_II) under both; f1 under amig only.
        Assert.Equal(2 / 6.0, Key("kii_ratio_static"), 12);
        // Otsu on 10 bins: dai's CS₂ sit in bins 3 and 5, so edges 4 and 5 tie and their middle is taken; amig's
        // extra 0.2 (bin 2) does not move it (between-class variance 0.0136 at edges 4–5 against 0.0067 at 3).
        Assert.Equal(0.45, Key("otsu_tau_dai"), 12);
        Assert.Equal(0.45, Key("otsu_tau_amig"), 12);
        Assert.Equal(2 / 6.0, Key("kii_ratio_otsu"), 12);
        Assert.Equal(0.5, Key("cs2_mean_ki"), 12);
        Assert.Equal(1 / 3.0, Key("cs2_mean_kii"), 12);
        // Same answer: f1–f4 each draw two other answer-7 facts, sharing only (5,0) of five neurons: 0.2; f5 and f6
        // have one other answer-8 fact only, so no draw. Other answer: f1–f4 draw f5 and f6, sharing (6,0) of
        // three (1/3); f5 and f6 draw two answer-7 facts (0.2).
        Assert.Equal(0.2, Key("cs2_null_same_object_mean"), 12);
        Assert.Equal((4 / 3.0 + 0.4) / 6, Key("cs2_null_other_object_mean"), 12);
        Assert.Equal(-0.3, Key("kl_shared_suppress_dprob_ki"), 12);
        Assert.Equal(-0.1, Key("kl_shared_suppress_dprob_kii"), 12);
        Assert.Equal(-0.4, Key("ql_own_suppress_dprob_kii"), 12);
        Assert.Equal(-0.5, Key("mapping_own_suppress_dprob_ki"), 12);
        Assert.Equal(-0.2, Key("mapping_own_suppress_dprob_kii"), 12);
        Assert.Equal(0.2, Key("mapping_own_enhance_dprob_kii"), 12);
        Assert.Equal(0.0, Key("mapping_random_suppress_dprob_kii"), 12);
        // Per query first: (−0.15 − 0.3 · 3) / 4, not the five rows' mean (−0.24).
        Assert.Equal(-0.2625, Key("mapping_neighbour_suppress_dprob_kii"), 12);
        Assert.Equal(0.0, Key("mapping_intersection_suppress_dprob_kii"), 12);
        Assert.Null(summary["mapping_neighbour_enhance_dprob_kii"]);
        Assert.Equal(-0.4, Key("synapse_query_dprob"), 12);
        Assert.Equal(-0.1, Key("synapse_random_dprob"), 12);
        Assert.Equal(-0.5, Key("synapse_query_dact"), 12);
        // f1's two NaN rows (no KN) are left out.
        Assert.Equal(0.1, Key("synapse_random_dact"), 12);
        // Generalizing: f1–f3 (2 of 2); not: f4 (1 of 2), f5 (0 of 2); f6 has no held-out query.
        Assert.Equal(0.5, Key("cs2_generalizing"), 12);
        Assert.Equal((0.5 + 1 / 3.0) / 2, Key("cs2_not_generalizing"), 12);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(run.Path, "reduce", "query_localization.json")))!;
        Assert.Equal(["dai", "amig"], json["methods"]!.AsArray().Select(m => m!.ToString()));
        var dai = json["per_method"]![0]!;
        Assert.Empty(dai["null"]!["relations_without_same_object_pair"]!.AsArray());
        Assert.Equal(2, dai["empty_intersections"]!.AsArray()
            .Single(e => e!["threshold"]!.ToString() == "static" && e["class"]!.ToString() ==
                ConsistencyRecord.Inconsistent)!["cells"]!.GetValue<int>());

        File.WriteAllText(Path.Combine(run.Path, "summary.json"), summary.ToJsonString());
        var report = ReportBuilder.Build(run.Path);
        string[] expected =
        [
            "ql_cs2_hist_dai", "ql_cs2_hist_amig", "ql_cs2_by_relation", "ql_kl_vs_ql_static", "ql_kl_vs_ql_otsu",
            "ql_mapping_static", "ql_mapping_otsu", "ql_synapses", "ql_synapse_attention_before",
            "ql_synapse_attention_after", "ql_synapse_kn_activation", "ql_kn_consistent", "ql_kn_inconsistent",
        ];
        Assert.Equal(expected.Order(), report.Figures.Where(f => f.StartsWith("ql_", StringComparison.Ordinal))
            .Order());
        foreach (var f in expected)
        {
            Assert.True(new FileInfo(Path.Combine(report.Dir, f + ".png")).Length > 5000, f);
            Assert.True(File.Exists(Path.Combine(report.Dir, f + ".csv")), f);
        }
        var mapping = File.ReadAllLines(Path.Combine(report.Dir, "ql_mapping_static.csv"));
        Assert.Equal("arm,alpha,class,control,dprob_mean,ci_low,ci_high,queries,facts,mean_set_size", mapping[0]);
        Assert.Contains(mapping,
            l => l.StartsWith("neighbour,0,inconsistent (K_II),False,-0.2625,", StringComparison.Ordinal));
        var hist = File.ReadAllLines(Path.Combine(report.Dir, "ql_cs2_hist_dai.csv"));
        // Bins of 0.1: four cells at 0.5, two at 1/3; the same-object null's four 0.2s; the other-object null's.
        Assert.Equal("0.2,0.3,0,4,2", hist[3]);
        Assert.Equal("0.3,0.4,2,0,4", hist[4]);
        Assert.Equal("0.5,0.6,4,0,0", hist[6]);
        string md = File.ReadAllText(Path.Combine(report.Dir, "README.md"));
        Assert.Contains("| static τ = 0.4 | 0.333 (2/6) | 0.5 (3/6) | 0.333 (2/6) |", md);
        Assert.Contains("200 resamples, run seed 7", md);
        Assert.Contains("a sanity check only", md);
        Assert.DoesNotContain("K_I)", md.Replace("consistent (K_I)", ""));
        // The report's summary keeps the reduce's keys.
        var reported = JsonNode.Parse(File.ReadAllText(Path.Combine(report.Dir, "summary.json")))!;
        Assert.Equal(Key("kii_ratio_static"), reported["kii_ratio_static"]!.GetValue<double>());
        Assert.True(reported.AsObject().ContainsKey("mapping_neighbour_enhance_dprob_kii"));
    }

    [Fact]
    public void ARunWithoutTheTablesGetsNullKeysAndASectionThatSaysWhy()
    {
        var run = new RunFolder(Path.Combine(_root, "empty"));
        Directory.CreateDirectory(run.Path);
        File.WriteAllText(run.ManifestPath, Manifest().ToJsonString());
        var summary = new JsonObject();
        new QueryLocalizationReducer().Reduce(run, summary, CancellationToken.None);
        var keys = QueryLocalizationReducer.Keys.Concat(new[] { "dai", "amig" }
            .SelectMany(QueryLocalizationReducer.MethodKeys));
        Assert.All(keys, k => Assert.True(summary.ContainsKey(k) && summary[k] is null, k));
        Assert.False(Directory.Exists(Path.Combine(run.Path, "reduce")));
        var report = ReportBuilder.Build(run.Path);
        Assert.DoesNotContain(report.Figures, f => f.StartsWith("ql_", StringComparison.Ordinal));
        Assert.Contains("No data: this run has no <code>consistency</code> table",
            File.ReadAllText(Path.Combine(report.Dir, "index.html")));
    }
}
