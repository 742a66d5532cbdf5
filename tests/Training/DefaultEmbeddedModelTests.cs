using System.Diagnostics;
using System.Text.Json.Nodes;
using KnPipeline.Stages.Data;
using KnPipeline.Stages.Models.Tokenizers;
using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Records;
using KnPipeline.Stages.Tokenization;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Training;

/// <summary>
/// The default embedded model exactly as the main job gets it: `pipeline train-embedded --json` run from the
/// repository with its pipeline.yaml, so the model lands in (or comes from) the main job's own cache. On a clean clone
/// this trains the full model once (about 4.5 minutes on 2 cores); afterwards the cache answers in a second.
/// </summary>
public class DefaultEmbeddedModelTests
{
    private static readonly string[] Languages = ["ar", "de", "en", "fi", "fr", "ja", "ru", "zh"];

    private static (int Code, string Out, string Err) Pipeline(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = SharedData.RepoRoot,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pipeline.dll"));
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["CI"] = "true";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        // Training takes minutes; a child that hangs must fail the test, not stall the suite.
        if (!p.WaitForExit(TimeSpan.FromMinutes(20)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"pipeline {string.Join(' ', args)} did not finish in 20 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void TheDefaultModelLearnsItsTrainingRephrasingsAndNamesTheCapitalOfFranceInEveryTrainedLanguage()
    {
        var (code, stdout, stderr) = Pipeline("train-embedded", "--json");
        Assert.True(code == 0, stderr);
        var report = JsonNode.Parse(stdout)!.AsObject();
        string dir = report["model_dir"]!.GetValue<string>();
        Assert.True(report["seconds"]!.GetValue<double>() > 0);
        var accuracy = report["accuracy"]!.AsObject();
        Assert.Equal(Languages, accuracy.Select(kv => kv.Key).Order(StringComparer.Ordinal));
        foreach (var (lang, a) in accuracy)
        {
            double train = a!["train"]!.GetValue<double>(), heldout = a["heldout"]!.GetValue<double>();
            Assert.True(train >= 0.95, $"{lang}: top-1 accuracy on training rephrasings {train} < 0.95");
            Assert.True(heldout < train, $"{lang}: held-out {heldout} is not below train {train}");
            // Issue #12: paraphrases never seen answered at least twice as often as the relation's commonest object.
            double baseline = a["baseline"]!.GetValue<double>();
            Assert.True(heldout >= 2 * baseline, $"{lang}: held-out {heldout} < 2 × baseline {baseline}");
            Assert.True(a["crosslingual_queries"]!.GetValue<double>() > 0, $"{lang}: no language-held-out query");
        }
        // Issue #12: paraphrases never seen, averaged over the languages, at least 0.6.
        double mean = accuracy.Average(kv => kv.Value!["heldout"]!.GetValue<double>());
        Assert.True(mean >= 0.6, $"mean held-out accuracy {mean} < 0.6");

        // P36-001 (France → Paris) on its first training template in each language where the cell is trained, through
        // inspect-model (fr and ja hold the cell out: whether they answer it is the cross-lingual measurement).
        var source = BenchmarkLoaders.ByFormat("rml-lama").Open(Path.Combine(SharedData.RepoRoot, "benchmarks-data", "embedded"), new QuarantineLog());
        var queries = new QueryTokenizer(TokenizerFactory.FromModelFolder(dir), "embedded", ModelKind.Causal);
        var france = source.ReadFacts(NullQuarantine.Instance).Where(f => f.FactId == "P36-001").ToList();
        Assert.Equal(Languages, france.Select(f => f.Language).Order(StringComparer.Ordinal));
        Assert.Equal(["fr", "ja"], france.Where(f => f.Split == TemplateSplits.HeldoutLanguage)
            .Select(f => f.Language).Order(StringComparer.Ordinal));
        foreach (var fact in france.Where(f => f.Split != TemplateSplits.HeldoutLanguage))
        {
            var template = source.TemplatesFor(fact.Language, fact.Relation).First(t => t.Split == "train" && t.Text.IndexOf("[X]", StringComparison.Ordinal) < t.Text.IndexOf("[Y]", StringComparison.Ordinal));
            var query = QueryExpander.MakeQuery(fact, template);
            var tokenized = queries.Tokenize(query, NullQuarantine.Instance)!;
            var (c, o, e) = Pipeline("inspect-model", dir, "--prompt", query.Prompt!, "--top", "1", "--json");
            Assert.True(c == 0, e);
            int top = JsonNode.Parse(o)!["top"]![0]!["id"]!.GetValue<int>();
            Assert.True(top == tokenized.TargetIds[0], $"{fact.Language}: '{query.Prompt}' → id {top}, expected {tokenized.TargetIds[0]} ('{fact.Object}')");
        }
    }
}
