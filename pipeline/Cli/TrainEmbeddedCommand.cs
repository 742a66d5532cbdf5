using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using KnPipeline.Config;
using KnPipeline.Stages.Data;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Training;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline train-embedded [--config FILE] [--set k=v]... [--force] [--json]</c>: trains the embedded fact model
/// with the config's <c>embedded_model</c> options (or finds it in the cache), then prints the model folder and top-1
/// first-token accuracy per language on the training and held-out rephrasings. Progress goes to stderr. With
/// <c>--json</c> stdout is exactly <c>{"model_dir":…,"seconds":…,"accuracy":{"en":{"train":…,"heldout":…},…}}</c>,
/// where seconds is the training time recorded in training.json (so a cached model reports it too).
/// </summary>
public static class TrainEmbeddedCommand
{
    public static Command Create()
    {
        var config = new ConfigCommandOptions();
        var force = new Option<bool>("--force") { Description = "Train again even when the cache holds this model" };
        var json = new Option<bool>("--json")
            { Description = "Print {model_dir, seconds, accuracy} as one JSON object" };
        var cmd = new Command("train-embedded",
            "Train the embedded fact model (cached by its options and the benchmark) and report its accuracy");
        config.AddTo(cmd);
        cmd.Options.Add(force);
        cmd.Options.Add(json);
        cmd.SetAction((r, ct) =>
            Task.FromResult(Run(config.Load(r).EmbeddedModel, r.GetValue(force), r.GetValue(json), Console.Out,
                Console.Error, ct)));
        return cmd;
    }

    /// <summary>Runs the command; <paramref name="benchmarkDir"/> defaults to
    /// &lt;repo&gt;/benchmarks-data/embedded.</summary>
    public static int Run(EmbeddedModelOptions options, bool force, bool json, TextWriter stdout, TextWriter stderr,
                          CancellationToken ct, string? benchmarkDir = null)
    {
        string dir;
        TrainingReport report;
        var progress = new TrainingProgressBar(stderr,
            ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected);
        try
        {
            benchmarkDir ??= BenchmarkLoaders.EmbeddedDirectory();
            (dir, report) = EmbeddedModel.EnsureTrained(options, benchmarkDir, force, progress, ct);
        }
        catch (NotSupportedException e)
        {
            throw new UsageException(e.Message);
        }
        catch (Exception e) when (e is InvalidDataException or DirectoryNotFoundException or IOException
                                       or UnauthorizedAccessException)
        {
            progress.Finish();
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.Failure;
        }
        progress.Finish();
        if (json)
        {
            var accuracy = new JsonObject();
            foreach (var (lang, a) in report.Accuracy)
            {
                var o = new JsonObject
                {
                    ["train"] = Number(a.Train), ["heldout"] = Number(a.Heldout),
                    ["heldout_all"] = Number(a.HeldoutAll),
                    ["baseline"] = Number(a.Baseline), ["train_alias"] = Number(a.TrainAlias),
                    ["heldout_alias"] = Number(a.HeldoutAlias), ["heldout_all_alias"] = Number(a.HeldoutAllAlias),
                };
                foreach (string key in CrosslingualFigures.Keys)
                    o[key] = Number(a.Crosslingual.GetValueOrDefault(key, double.NaN));
                accuracy[lang] = o;
            }
            stdout.WriteLine(new JsonObject
            {
                ["model_dir"] = dir, ["seconds"] = Math.Round(report.Seconds, 3), ["accuracy"] = accuracy,
            }.ToJsonString());
            return ExitCodes.Ok;
        }
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained in {report.Seconds:F1} s: {report.Epochs} epochs, {report.Steps} steps, " +
            $"final loss {report.FinalLoss:F4}"));
        stdout.WriteLine("top-1 first-token accuracy (whole-object greedy in brackets):");
        stdout.WriteLine("heldout leaves out guessable facts; heldout_all keeps them; baseline: most frequent object");
        stdout.WriteLine($"{"language",-10}{"train",-18}{"heldout",-18}{"heldout_all",-13}{"baseline",-10}" +
                         "queries (train/heldout)");
        foreach (var (lang, a) in report.Accuracy)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{lang,-10}{Cell(a.Train, a.TrainGreedy),-18}{Cell(a.Heldout, a.HeldoutGreedy),-18}" +
                $"{a.HeldoutAll,-13:F3}{a.Baseline,-10:F3}{a.TrainQueries}/{a.HeldoutQueries}"));
        stdout.WriteLine($"model: {dir}");
        return ExitCodes.Ok;
    }

    private static string Cell(double top1, double greedy) =>
        string.Create(CultureInfo.InvariantCulture, $"{top1:F3} ({greedy:F3})");

    private static JsonNode? Number(double x) => double.IsFinite(x) ? JsonValue.Create(Math.Round(x, 6)) : null;
}
