using System.Diagnostics;
using System.Text.Json.Nodes;
using KnPipeline.Cli;
using KnPipeline.Hosting;
using KnPipeline.Runs;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Config;
using KnPipeline.Tests.Support;
using Xunit;
using static KnPipeline.Tests.Support.CliRunner;

namespace KnPipeline.Tests.Pipeline;

/// <summary>The hosted Dataflow pipeline end to end on the embedded benchmark with a small config.</summary>
[Collection(ConfigConsoleCollection.Name)]
public class PipelineRunTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kn-run").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }

    private static string PipelineDll => Path.Combine(AppContext.BaseDirectory, "pipeline.dll");

    private static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
            { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(PipelineDll);
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["CI"] = "true";
        var p = Process.Start(psi)!;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static int Markers(string runDir) =>
        Directory.Exists(Path.Combine(runDir, "chunks"))
            ? Directory.GetFiles(Path.Combine(runDir, "chunks"), "*.done.json").Length
            : 0;

    [Fact]
    public async Task RunWritesEveryTableAndTwoRunsExportIdentically()
    {
        string cfg = PipelineFixture.WriteConfig(_root);
        string a = Path.Combine(_root, "a"), b = Path.Combine(_root, "b");
        var (code, _, err) = await RunCli("run", "--config", cfg, "--run-dir", a);
        Assert.True(code == 0, err);
        (code, _, err) = await RunCli("run", "--config", cfg, "--run-dir", b);
        Assert.True(code == 0, err);
        var ea = await ExportAll(a);
        var eb = await ExportAll(b);
        foreach (var t in TableRegistry.Names)
            Assert.True(ea[t] == eb[t], $"table {t} differs between two runs of the same config");
        // The per-fact analyses have rows here, so the resume and shard tests below compare real records.
        foreach (var t in new[] { "fact_kns", "matrice", "lolo", "consistency", "ql_interventions", "synapses",
                     "synapse_heatmaps", "edits", "edit_dev" })
            Assert.True(ea[t].Length > 0, $"table {t} is empty in the fixture run");
        // The dev pass edits the dev facts, the graph the evaluation facts: never the same fact.
        static HashSet<string> Facts(string export, string phase) => export
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!)
            .Select(r => (r["fact_id"]!.GetValue<string>(), r["phase"]!.GetValue<string>()))
            .Select(x => x.Item2 == phase ? x.Item1 : throw new InvalidOperationException($"{x.Item1} is {x.Item2}"))
            .ToHashSet();
        Assert.Empty(Facts(ea["edits"], "eval").Intersect(Facts(ea["edit_dev"], "dev")));

        // 2 relations × 4 facts; every fact in 3 languages; 5+ subject-first templates each.
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(a, "summary.json")))!.AsObject();
        foreach (var key in new[]
            {
                "facts", "queries", "languages", "quarantined", "queries_per_s", "device_busy",
                "completeness_gap_median", "wall_s"
            })
            Assert.True(summary.ContainsKey(key), $"summary.json lacks {key}");
        Assert.Equal(8, summary["facts"]!.GetValue<int>());
        Assert.Equal(3, summary["languages"]!.GetValue<int>());
        int queries = summary["queries"]!.GetValue<int>();
        Assert.Equal(queries, ea["queries"].Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        // One row per query and method: the default methods are dai and amig.
        Assert.Equal(2 * queries, ea["attributions"].Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.InRange(summary["device_busy"]!.GetValue<double>(), 0.0, 1.0);
        // Partitioned by language, with the run's metadata in every part.
        Assert.True(Directory.Exists(Path.Combine(a, "attributions", "language=zh")));
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(a, "manifest.json")))!;
        Assert.Contains("gelu_new", manifest["definitions"]!["neuron"]!.GetValue<string>());
        var (listCode, list, _) = await RunCli("export", a, "--list");
        Assert.Equal(0, listCode);
        Assert.Contains($"queries {queries}", list);

        // A rerun of the same config into the same folder finds every chunk done and changes nothing.
        (code, _, err) = await RunCli("run", "--config", cfg, "--run-dir", a);
        Assert.True(code == 0, err);
        Assert.Equal(ea["attributions"], (await ExportAll(a))["attributions"]);
    }

    [Fact]
    public async Task EveryMethodIsWrittenForEveryQueryAndDaisRowsEqualARunOfDaiAlone()
    {
        // The fixture leaves attribution.methods at its default, [dai, amig].
        string cfg = PipelineFixture.WriteConfig(_root, factsPerRelation: 2);
        string both = Path.Combine(_root, "both"), alone = Path.Combine(_root, "dai-alone");
        var (code, _, err) = await RunCli("run", "--config", cfg, "--run-dir", both, "--no-report");
        Assert.True(code == 0, err);
        (code, _, err) = await RunCli("run", "--config", cfg, "--run-dir", alone, "--no-report",
            "--set", "attribution.methods=[dai]");
        Assert.True(code == 0, err);
        var eb = await ExportAll(both);
        var ea = await ExportAll(alone);
        foreach (var t in new[] { "queries", "tokenized", "predictions", "quarantine" })
            Assert.True(eb[t] == ea[t], $"table {t} depends on the methods");

        static List<string> Lines(string export) => export.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        static string MethodOf(string line) => JsonNode.Parse(line)!["method"]!.GetValue<string>();
        // localize: all, so every tokenized query is attributed, once per method, the two rows side by side.
        var queries = Lines(eb["predictions"]).Select(l => JsonNode.Parse(l)!["query_id"]!.GetValue<string>()).ToList();
        Assert.True(queries.Count >= 20, $"{queries.Count} queries");
        foreach (var table in new[] { "attributions", "kn_sets" })
        {
            var rows = Lines(eb[table]);
            Assert.Equal(queries.SelectMany(q => new[] { (q, "amig"), (q, "dai") }),
                rows.Select(l => (JsonNode.Parse(l)!["query_id"]!.GetValue<string>(), MethodOf(l))));
            // Exactly, to the bit: dai's device calls are the same whichever methods the run lists.
            Assert.Equal(Lines(ea[table]), rows.Where(l => MethodOf(l) == "dai"));
            Assert.All(Lines(ea[table]), l => Assert.Equal("dai", MethodOf(l)));
        }
        // AMIG integrates from a non-zero baseline, so F(b) moves away from dai's F(0).
        var fb = Lines(eb["attributions"]).Select(l => JsonNode.Parse(l)!)
            .GroupBy(r => r["method"]!.GetValue<string>())
            .ToDictionary(g => g.Key, g => g.SelectMany(r => Json.Floats(r["layer_f_baseline"])).ToArray());
        Assert.Equal(fb["dai"].Length, fb["amig"].Length);
        Assert.True(fb["dai"].Zip(fb["amig"]).Count(p => p.First != p.Second) > fb["dai"].Length / 2,
            "amig's F(baseline) equals dai's on most layers");

        // The summary counts queries under the first method; each method has its own gap median.
        var sb = JsonNode.Parse(File.ReadAllText(Path.Combine(both, "summary.json")))!.AsObject();
        var sa = JsonNode.Parse(File.ReadAllText(Path.Combine(alone, "summary.json")))!.AsObject();
        Assert.Equal(queries.Count, sb["queries_attributed"]!.GetValue<long>());
        Assert.Equal(sa["queries_attributed"]!.GetValue<long>(), sb["queries_attributed"]!.GetValue<long>());
        Assert.Equal("dai, amig", sb["methods"]!.GetValue<string>());
        Assert.Equal(sa["completeness_gap_median"]!.ToJsonString(), sb["completeness_gap_median"]!.ToJsonString());
        Assert.Equal(sb["completeness_gap_median"]!.ToJsonString(), sb["completeness_gap_median_dai"]!.ToJsonString());
        Assert.True(sb["completeness_gap_median_amig"]!.GetValue<double>() >= 0);
        Assert.False(sa.ContainsKey("completeness_gap_median_amig"));
    }

    [Fact]
    public async Task AttributionTablesAreTheSameToTheBitWithEditingOnAndOff()
    {
        // Edits change weights in place on the device thread, between attribution batches; every one is restored,
        // so no attribution may see an edited model.
        string cfg = PipelineFixture.WriteConfig(_root, factsPerRelation: 2);
        string on = Path.Combine(_root, "on"), off = Path.Combine(_root, "off");
        // Several edited queries per fact, so some are among the first ones the query-KN mapping scales.
        var (code, _, err) = await RunCli("run", "--config", cfg, "--run-dir", on, "--no-report",
            "--set", "editing.queries_per_fact=6", "--set", "editing.tune=false");
        Assert.True(code == 0, err);
        (code, _, err) = await RunCli("run", "--config", cfg, "--run-dir", off, "--no-report",
            "--set", "editing.enabled=false");
        Assert.True(code == 0, err);
        var eOn = await ExportAll(on);
        var eOff = await ExportAll(off);
        Assert.True(eOn["edits"].Length > 0, "the run with editing made no edits");
        Assert.Equal("", eOff["edits"]);
        foreach (var t in new[] { "queries", "tokenized", "predictions", "attributions", "kn_sets", "fact_kns",
                     "matrice", "consistency" })
            Assert.True(eOn[t] == eOff[t], $"table {t} differs with editing on");
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(on, "summary.json")))!.AsObject();
        Assert.True(summary["weights_restored"]!.GetValue<bool>());
        foreach (var key in EditingReducer.Keys)
            Assert.True(summary.ContainsKey(key), $"summary.json lacks {key}");
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(on, "manifest.json")))!;
        Assert.Equal(summary["tuned_lambda2"]!.GetValue<double>(),
            manifest["editing_tuned"]!["lambda2"]!.GetValue<double>());
        Assert.Null(JsonNode.Parse(File.ReadAllText(Path.Combine(off, "summary.json")))!["weights_restored"]);

        // The own selection's suppressions against the query-KN mapping's rows for the same queries (the same coarse
        // set, ×0): the pooled Δprob agrees (the engine batches the queries differently, hence not to the bit).
        static List<JsonObject> Rows(string export) => export.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        static double D(JsonObject r) => (r["p_after"]!.GetValue<double>() - r["p_before"]!.GetValue<double>()) /
                                         r["p_before"]!.GetValue<double>();
        var mapping = Rows(eOn["ql_interventions"]).Where(r => r["analysis"]!.GetValue<string>() == "mapping" &&
                r["arm"]!.GetValue<string>() == "own" && !r["control"]!.GetValue<bool>() &&
                r["alpha"]!.GetValue<double>() == 0)
            .ToDictionary(r => (r["query_id"]!.GetValue<string>(), r["method"]!.GetValue<string>()));
        var own = Rows(eOn["edits"]).Where(r => r["op"]!.GetValue<string>() == "suppress" &&
                r["selection"]!.GetValue<string>() == "own" && !r["control"]!.GetValue<bool>())
            .Where(r => mapping.ContainsKey((r["query_id"]!.GetValue<string>(), r["method"]!.GetValue<string>())))
            .ToList();
        Assert.True(own.Count > 0, "no edited query has mapping rows in the fixture run");
        Assert.Equal(own.Average(r => D(mapping[(r["query_id"]!.GetValue<string>(),
            r["method"]!.GetValue<string>())])), own.Average(D), 1e-4);
        Assert.All(own, r => Assert.Equal(mapping[(r["query_id"]!.GetValue<string>(),
            r["method"]!.GetValue<string>())]["layer"]!.ToJsonString(), r["layer"]!.ToJsonString()));
    }

    [Fact]
    public async Task KilledFiveTimesThenResumedEqualsAnUninterruptedRun()
    {
        string cfg = PipelineFixture.WriteConfig(_root);
        string reference = Path.Combine(_root, "reference"), killed = Path.Combine(_root, "killed");
        Assert.Equal(0, (await RunCli("run", "--config", cfg, "--run-dir", reference)).Code);
        int total = Markers(reference);
        Assert.True(total >= 6, $"need at least 6 chunks to kill at 5 points, got {total}");
        // Kill points: before any chunk is done, then after 1, 2, 3 and 4 finished chunks.
        foreach (int after in new[] { 0, 1, 2, 3, 4 })
        {
            // A rerun of the same config into the same folder resumes it (no --resume needed).
            using var p = Start("run", "--config", cfg, "--run-dir", killed);
            var sw = Stopwatch.StartNew();
            while (!p.HasExited && sw.Elapsed < TimeSpan.FromSeconds(120))
            {
                if (after == 0 ? File.Exists(Path.Combine(killed, "manifest.json")) : Markers(killed) >= after)
                    break;
                await Task.Delay(5);
            }
            if (!p.HasExited)
                p.Kill(entireProcessTree: true);   // SIGKILL
            p.WaitForExit();
        }
        // A truncated part of a finished chunk is detected, set aside and redone.
        var part = Directory.GetFiles(Path.Combine(killed, "attributions"), "part-*.parquet",
            SearchOption.AllDirectories).Order().First();
        using (var fs = new FileStream(part, FileMode.Open))
            fs.SetLength(fs.Length / 2);
        var (code, _, err) = await RunCli("run", "--config", cfg, "--run-dir", killed, "--resume");
        Assert.True(code == 0, err);
        Assert.True(Directory.Exists(Path.Combine(killed, "set-aside")));
        var want = await ExportAll(reference);
        var got = await ExportAll(killed);
        foreach (var t in TableRegistry.Names)
            Assert.True(want[t] == got[t], $"table {t}: resumed run differs from the uninterrupted one");
        // The summary adds up every chunk, not only those of the last session.
        AssertSameCounters(Path.Combine(reference, "summary.json"), Path.Combine(killed, "summary.json"));
    }

    [Fact]
    public async Task WithTheAdaptiveRuleAResumedRunAndTwoShardsEqualAnUninterruptedRun()
    {
        string cfg = PipelineFixture.WriteConfig(_root);
        string[] adaptive = ["--set", "attribution.rule=adaptive", "--set", "attribution.tolerance=0.01"];
        string reference = Path.Combine(_root, "adaptive"), killed = Path.Combine(_root, "adaptive-killed");
        string sharded = Path.Combine(_root, "adaptive-sharded");
        Assert.Equal(0, (await RunCli(["run", "--config", cfg, "--run-dir", reference, .. adaptive])).Code);
        using (var p = Start(["run", "--config", cfg, "--run-dir", killed, .. adaptive]))
        {
            var sw = Stopwatch.StartNew();
            while (!p.HasExited && Markers(killed) < 2 && sw.Elapsed < TimeSpan.FromSeconds(120))
                await Task.Delay(5);
            if (!p.HasExited)
                p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        Assert.Equal(0, (await RunCli(["run", "--config", cfg, "--run-dir", killed, .. adaptive])).Code);
        var want = await ExportAll(reference);
        var got = await ExportAll(killed);
        foreach (var t in TableRegistry.Names)
            Assert.True(want[t] == got[t], $"table {t}: the resumed adaptive run differs from the uninterrupted one");
        // Every layer says which rule ran and how many points it took; refinement shows as more than the first 5.
        var rows = want["attributions"].Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonNode.Parse(l)!).ToList();
        Assert.All(rows, r => Assert.All(r["layer_rule"]!.AsArray(),
            x => Assert.Equal("adaptive", x!.GetValue<string>())));
        var points = rows.SelectMany(r => r["layer_points"]!.AsArray().Select(x => x!.GetValue<int>())).ToList();
        Assert.All(points, n => Assert.InRange(n, 5, 64));

        foreach (var shard in new[] { "0/2", "1/2" })
            Assert.Equal(0,
                (await RunCli(["run", "--config", cfg, "--run-dir", sharded, "--shard", shard, .. adaptive])).Code);
        Assert.Equal(0, (await RunCli("merge", sharded)).Code);
        var merged = await ExportAll(sharded);
        foreach (var t in new[] { "queries", "tokenized", "quarantine" })
            Assert.True(want[t] == merged[t], $"table {t}: two adaptive shards differ from the single run");
        // Shards batch other facts together, which moves floats in the 7th digit (as with fixed rules); a path whose
        // gap sits at the tolerance could then take one refinement more or less, so the points agree almost always.
        var mergedRows = merged["attributions"].Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(rows.Select(r => r["query_id"]!.GetValue<string>()),
            mergedRows.Select(r => r["query_id"]!.GetValue<string>()));
        int same = rows.Zip(mergedRows).Count(p =>
            p.First["layer_points"]!.ToJsonString() == p.Second["layer_points"]!.ToJsonString());
        Assert.True(same >= 0.98 * rows.Count, $"{same} of {rows.Count} queries took the same points in shards");
    }

    /// <summary>The work's counters agree between two summaries (timings and per-session figures aside).</summary>
    private static void AssertSameCounters(string expectedPath, string actualPath)
    {
        var want = JsonNode.Parse(File.ReadAllText(expectedPath))!.AsObject();
        var got = JsonNode.Parse(File.ReadAllText(actualPath))!.AsObject();
        string[] prefixes = ["skipped_", "tokens_per_object_", "unk_rate_"];
        var keys = want.Select(kv => kv.Key)
            .Where(k => prefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal)) ||
                        k is "facts" or "queries" or "queries_tokenized" or "queries_attributed" or "not_localized"
                            or "quarantined" or "completeness_gap_median")
            .ToList();
        Assert.Contains("skipped_subject_after_object", keys);
        Assert.Contains("tokens_per_object_en", keys);
        foreach (var k in keys)
            Assert.True(got[k]?.ToJsonString() == want[k]!.ToJsonString(),
                $"summary key {k}: {got[k]?.ToJsonString()} != {want[k]!.ToJsonString()}");
    }

    [Fact]
    public async Task TwoShardsInOneFolderMergeToTheRecordsOfASingleRun()
    {
        string cfg = PipelineFixture.WriteConfig(_root);
        string single = Path.Combine(_root, "single"), sharded = Path.Combine(_root, "sharded");
        Assert.Equal(0, (await RunCli("run", "--config", cfg, "--run-dir", single)).Code);
        Assert.Equal(0, (await RunCli("run", "--config", cfg, "--run-dir", sharded, "--shard", "0/2")).Code);
        Assert.False(File.Exists(Path.Combine(sharded, "summary.json")));
        var (code, _, err) = await RunCli("merge", sharded);
        Assert.Equal(1, code);
        Assert.Contains("missing shards [1]", err);
        Assert.Equal(0, (await RunCli("run", "--config", cfg, "--run-dir", sharded, "--shard", "1/2")).Code);
        (code, _, err) = await RunCli("merge", sharded);
        Assert.True(code == 0, err);
        var s1 = JsonNode.Parse(File.ReadAllText(Path.Combine(single, "summary.json")))!;
        var s2 = JsonNode.Parse(File.ReadAllText(Path.Combine(sharded, "summary.json")))!;
        Assert.Equal(s1["facts"]!.GetValue<int>(), s2["facts"]!.GetValue<int>());
        Assert.Equal(s1["queries"]!.GetValue<int>(), s2["queries"]!.GetValue<int>());
        AssertSameCounters(Path.Combine(single, "summary.json"), Path.Combine(sharded, "summary.json"));
        // Scripts read either: a merged summary has exactly the keys of a single run's, timings included.
        Assert.Equal(s1.AsObject().Select(kv => kv.Key).Order(), s2.AsObject().Select(kv => kv.Key).Order());
        foreach (var key in new[] { "model_s", "graph_s", "device_s", "expand_s", "tokenize_s", "write_s", "reduce_s", "report_s" })
            Assert.True(s2[key]!.GetValue<double>() >= 0, key);
        Assert.Equal(2, s2["shards"]!.GetValue<int>());
        var a = await ExportAll(single);
        var b = await ExportAll(sharded);
        foreach (var t in new[] { "queries", "tokenized", "quarantine" })
            Assert.Equal(a[t], b[t]);
        // Attributions: the same keys; values equal to 1e-6 relative (batches may differ between shards).
        var ra = a["attributions"].Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonNode.Parse(l)!).ToList();
        var rb = b["attributions"].Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(ra.Select(r => r["query_id"]!.GetValue<string>()),
            rb.Select(r => r["query_id"]!.GetValue<string>()));
        for (int i = 0; i < ra.Count; i++)
        {
            var x = Json.Floats(ra[i]["attributions"]);
            var y = Json.Floats(rb[i]["attributions"]);
            double scale = x.Max(v => Math.Abs((double)v));
            Json.Close(x, y, 1e-6 * scale + 1e-9, $"{ra[i]["query_id"]}");
        }
        // The per-fact analyses: the same rows for the same facts, methods and arms. Their sets are cut from those
        // attributions, so a neuron at a threshold may (rarely) fall the other way; the rows themselves may not.
        static IEnumerable<string> Keys(string export) => export.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonNode.Parse(l)!.AsObject())
            .Select(o => string.Join("|", new[] { "query_id", "fact_id", "language", "method", "arm", "analysis",
                    "query_variant", "language_variant", "control", "alpha", "source_query", "layer", "op",
                    "selection", "phase", "beta2", "threshold", "lambda2" }
                .Where(k => o.ContainsKey(k) && o[k] is not JsonArray).Select(k => o[k]!.ToJsonString())));
        foreach (var t in new[] { "fact_kns", "matrice", "lolo", "consistency", "ql_interventions", "synapses",
                     "synapse_heatmaps", "edits", "edit_dev" })
        {
            Assert.True(a[t].Length > 0, $"table {t} is empty");
            Assert.Equal(Keys(a[t]), Keys(b[t]));
        }
    }

    [Fact]
    public async Task ResumingWithAChangedConfigIsRefused()
    {
        string dir = Path.Combine(_root, "run");
        string cfg = PipelineFixture.WriteConfig(Path.Combine(_root, "one"));
        Assert.Equal(0, (await RunCli("run", "--config", cfg, "--run-dir", dir)).Code);
        string changed = PipelineFixture.WriteConfig(Path.Combine(_root, "two"));
        var (code, _, err) = await RunCli("run", "--config", changed, "--run-dir", dir, "--resume", "--set",
            "attribution.steps=5");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("different configuration", err);
    }

    [Fact]
    public async Task ResumingAfterTheModelChangedIsRefused()
    {
        // The same config names a model folder whose weights changed after the run began (a moved Hub revision, say).
        string model = Path.Combine(_root, "model");
        Directory.CreateDirectory(model);
        foreach (var f in Directory.GetFiles(PipelineFixture.ModelDir))
            File.Copy(f, Path.Combine(model, Path.GetFileName(f)));
        string dir = Path.Combine(_root, "run");
        string cfg = PipelineFixture.WriteConfig(Path.Combine(_root, "cfg"), factsPerRelation: 1);
        Assert.Equal(0, (await RunCli("run", "--config", cfg, "--run-dir", dir, "--set", $"model.path={model}")).Code);
        using (var fs = new FileStream(Path.Combine(model, "model.safetensors"), FileMode.Open))
        {
            fs.Seek(-2, SeekOrigin.End);
            int b = fs.ReadByte();
            fs.Seek(-2, SeekOrigin.End);
            fs.WriteByte((byte)(b ^ 1));
        }
        var (code, _, err) = await RunCli("run", "--config", cfg, "--run-dir", dir, "--set", $"model.path={model}");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("model weights", err);
        Assert.Contains("model.weights_sha256", err);
    }

    [Fact]
    public async Task SigtermStopsWith130AndTheRunResumes()
    {
        // A longer run (more facts, m = 40), so the signal arrives while chunks are still being computed.
        string cfg = PipelineFixture.WriteConfig(_root, factsPerRelation: 12, steps: 40);
        string dir = Path.Combine(_root, "term");
        using var p = Start("run", "--config", cfg, "--run-dir", dir);
        var sw = Stopwatch.StartNew();
        while (!p.HasExited && Markers(dir) < 1 && sw.Elapsed < TimeSpan.FromSeconds(120))
            await Task.Delay(5);
        Assert.False(p.HasExited, "the run finished before it could be signalled");
        Process.Start("kill", ["-TERM", p.Id.ToString()])!.WaitForExit();
        Assert.True(p.WaitForExit(60_000));
        Assert.Equal(130, p.ExitCode);
        var (code, _, err) = await RunCli("run", "--config", cfg, "--run-dir", dir, "--resume");
        Assert.True(code == 0, err);
        Assert.True(JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!["complete"]!.GetValue<bool>());
    }

    [Fact]
    public async Task BadConfigsExitWithTwoFromRunAsFromValidateConfig()
    {
        var variants = new (string Yaml, string Key)[]
        {
            ("run:\n  sed: 1\n", "run.sed"),
            ("attribution:\n  steps: three\n", "attribution.steps"),
            ("attribution:\n  steps: 0\n", "attribution.steps"),
            ("attribution:\n  rule: middle\n", "attribution.rule"),
            ("embedded_model:\n  d_model: 130\n", "embedded_model.d_model"),
            ("data:\n  languages: en\n", "data.languages"),
            ("data:\n  languages: [english]\n", "data.languages"),
            ("pipeline:\n  queue_capacity: -1\n", "pipeline.queue_capacity"),
            ("logging:\n  level: loud\n", "logging.level"),
            ("model:\n  path: [a, b]\n", "model.path"),
            ("run:\n  seed: 1\n  seed: 2\n", "run.seed"),
            ("attribution:\n  nested:\n    deeper: 1\n", "attribution.nested"),
            ("attribution:\n  baseline: amig\n", "attribution.methods"),
            ("attribution:\n  methods: [dai, dai]\n", "attribution.methods[1]"),
            ("attribution:\n  methods: [zero]\n", "attribution.methods[0]"),
        };
        foreach (var (yaml, key) in variants)
        {
            string path = Path.Combine(_root, "bad.yaml");
            File.WriteAllText(path, yaml);
            foreach (var command in new[]
                {
                    new[] { "validate-config", path },
                    new[] { "run", "--config", path, "--run-dir", Path.Combine(_root, "x") }
                })
            {
                var (code, _, err) = await RunCli(command);
                Assert.True(code == ExitCodes.Usage, $"{command[0]} on {yaml.Replace('\n', ' ')}: exit {code}, {err}");
                Assert.Contains(key, err);
                Assert.DoesNotContain("   at ", err);
            }
        }
        var (c, _, e) = await RunCli("run", "--config", Path.Combine(_root, "missing.yaml"));
        Assert.Equal(ExitCodes.Usage, c);
        Assert.Contains("missing.yaml", e);
    }
}
