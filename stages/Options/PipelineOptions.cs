using System.ComponentModel.DataAnnotations;

namespace KnPipeline.Stages.Options;

/// <summary>The <c>pipeline:</c> section: Dataflow queue sizes, parallelism and Parquet row groups.</summary>
public sealed class PipelineOptions
{
    public const string SectionName = "pipeline";

    /// <summary>Bounded capacity of the queues between stages (in batches); it caps memory.</summary>
    [Range(1, 1024)]
    public int QueueCapacity { get; set; } = 4;

    /// <summary>Degree of parallelism of tokenization; 0 = processor count.</summary>
    [Range(0, 64)]
    public int TokenizeParallelism { get; set; }

    /// <summary>Rows per Parquet row group.</summary>
    [Range(100, 10_000_000)]
    public int RowGroupRows { get; set; } = 50_000;

    public IEnumerable<OptionError> Validate() => OptionChecks.Check(this, SectionName);
}
