using KnPipeline.Stages.Data;
using KnPipeline.Stages.Models;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Records;
using KnPipeline.Stages.Training;
using Microsoft.Extensions.Logging;

namespace KnPipeline.Hosting;

/// <summary>
/// The first phase: the benchmark opened (bad records of it quarantined as it is read) and the model loaded, the
/// embedded one trained on first use and cached.
/// </summary>
public sealed record RunInputs(string DataDir, BenchmarkSource Source, QuarantineLog LoadQuarantine, LoadedModel Loaded,
    ModelKind Kind, double? TrainingSeconds)
{
    public static RunInputs Resolve(PipelineConfig c, ILogger log, CancellationToken ct)
    {
        var (dataDir, loader) = BenchmarkLoaders.Resolve(c.Data.Source, OptionNames.Of(c.Data.Format));
        var quarantine = new QuarantineLog();
        var source = loader.Open(dataDir, quarantine);
        string modelPath = c.Model.Path;
        double? trainingSeconds = null;
        if (modelPath == ModelOptions.Embedded)
        {
            log.LogInformation("model: the embedded model (trained on first use, then cached in {Cache})",
                c.EmbeddedModel.CacheDir);
            var (dir, report) = EmbeddedModel.EnsureTrained(c.EmbeddedModel, BenchmarkLoaders.EmbeddedDirectory(),
                progress: TrainingProgressBar.ForStandardError(), ct: ct);
            modelPath = dir;
            trainingSeconds = report.Seconds;
        }
        var loaded = LoadedModel.Open(modelPath, DeviceSelector.Select(c.Run.Device),
            DeviceSelector.DType(OptionNames.Of(c.Run.Dtype)));
        if (loaded.Tokenizer is null)
            throw new UsageException($"{loaded.Location.LocalDir} has no tokenizer: the pipeline needs one");
        return new RunInputs(dataDir, source, quarantine, loaded, c.Model.Kind.Resolve(loaded.Model.IsCausal),
            trainingSeconds);
    }

    /// <summary>The model's name in records: the Hub id, else the folder's name.</summary>
    public string ModelId => Loaded.Location.RepoId ?? Path.GetFileName(Loaded.Location.LocalDir.TrimEnd('/'));
}
