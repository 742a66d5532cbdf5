using System.ComponentModel.DataAnnotations;

namespace KnPipeline.Stages.Options;

/// <summary>The <c>run:</c> section: where a run lives, its seed, device and work-unit size.</summary>
public sealed class RunOptions
{
    public const string SectionName = "run";

    /// <summary>
    /// Run folder name under <see cref="RunsDir"/>; null = derived from the config hash when the run starts.
    /// </summary>
    [Matches(@"[A-Za-z0-9][A-Za-z0-9._-]*", Description = "a folder name of letters, digits, '.', '_' or '-'")]
    public string? Id { get; set; }

    /// <summary>Folder holding all run folders.</summary>
    [Required]
    public string RunsDir { get; set; } = "runs";

    [Range(0, int.MaxValue)]
    public int Seed { get; set; } = 1234;

    /// <summary>auto (CUDA when available, else CPU), cpu, cuda or cuda:N.</summary>
    [Matches(@"auto|cpu|cuda|cuda:\d+", Description = "auto, cpu, cuda or cuda:N")]
    public string Device { get; set; } = "auto";

    public TensorDtype Dtype { get; set; } = TensorDtype.Float32;

    /// <summary>Torch intra-op threads; 0 keeps libtorch's default.</summary>
    [Range(0, 256)]
    public int Threads { get; set; }

    /// <summary>Facts per resumable work unit (a part file is committed per chunk).</summary>
    [Range(1, 100_000)]
    public int ChunkFacts { get; set; } = 8;

    /// <summary>Seconds between progress log lines.</summary>
    [Range(1, 3600)]
    public int ProgressIntervalS { get; set; } = 10;

    public IEnumerable<OptionError> Validate() => OptionChecks.Check(this, SectionName);
}
