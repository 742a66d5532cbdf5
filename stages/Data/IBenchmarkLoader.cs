using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Data;

/// <summary>
/// Reads one benchmark format from a folder. One class per format (<see cref="BenchmarkLoaders.All"/>). Opening
/// never throws for bad records: they go to the quarantine with their file, line and reason; only a folder that is
/// not this format at all throws <see cref="BenchmarkLayoutException"/>.
/// </summary>
public interface IBenchmarkLoader
{
    /// <summary>The format's name on the command line and in configs, e.g. <c>pararel</c>.</summary>
    string Format { get; }

    /// <summary>True when the folder has this format's layout (used to auto-detect the format).</summary>
    bool Matches(string directory);

    /// <summary>
    /// Reads the languages and templates now (they are small) and returns a source that streams the facts.
    /// Bad templates and declarations go to <paramref name="quarantine"/>.
    /// </summary>
    BenchmarkSource Open(string directory, IQuarantine quarantine);
}
