using KnPipeline.Stages.Options;
using KnPipeline.Stages.Training;
using KnPipeline.Tests.Support;

namespace KnPipeline.Tests.Training;

/// <summary>The embedded benchmark of this checkout, and reduced configurations that train in seconds.</summary>
internal static class TrainingFixtures
{
    public static string BenchmarkDir { get; } = Path.Combine(SharedData.RepoRoot, "benchmarks-data", "embedded");

    /// <summary>Two languages of different scripts (one without spaces), two relations.</summary>
    public static EmbeddedTrainingScope SmallScope { get; } = new()
    {
        Languages = ["en", "ja"], Relations = ["P36", "P19"], Threads = 1, AccuracySamplePerLanguage = 40,
    };

    /// <summary>One small layer, two epochs: a few seconds of training.</summary>
    public static EmbeddedModelOptions SmallOptions(string cacheDir = ".cache/embedded-model-tests") => new()
    {
        Layers = 1, DModel = 64, Heads = 2, Ffn = 128, MaxEpochs = 2, BatchSize = 32, Seed = 7, CacheDir = cacheDir,
    };

    /// <summary>
    /// Copies two languages and two relations of the benchmark into <paramref name="dir"/>, so that the full-scope
    /// API (<see cref="EmbeddedModel.EnsureTrained"/>) can run on a benchmark that trains in seconds.
    /// </summary>
    public static string WriteSmallBenchmark(string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "facts"));
        Directory.CreateDirectory(Path.Combine(dir, "templates"));
        string[] langs = ["en", "ja"];
        bool Keep(string line) => line.Contains("\"P36\"") || line.Contains("\"P19\"");
        File.WriteAllLines(Path.Combine(dir, "languages.jsonl"),
            File.ReadLines(Path.Combine(BenchmarkDir, "languages.jsonl")).Where(l => langs.Any(c => l.Contains($"\"{c}\""))));
        File.WriteAllLines(Path.Combine(dir, "relations.jsonl"),
            File.ReadLines(Path.Combine(BenchmarkDir, "relations.jsonl")).Where(Keep));
        foreach (string l in langs)
            foreach (string sub in (string[])["facts", "templates"])
                File.WriteAllLines(Path.Combine(dir, sub, l + ".jsonl"),
                    File.ReadLines(Path.Combine(BenchmarkDir, sub, l + ".jsonl")).Where(Keep));
        return dir;
    }
}
