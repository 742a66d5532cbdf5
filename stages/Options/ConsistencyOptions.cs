using System.ComponentModel.DataAnnotations;

namespace KnPipeline.Stages.Options;

/// <summary>
/// The <c>consistency:</c> section: the query-localization study (docs/architecture.md, Query localization): CS₁ and
/// CS₂ per fact and language, the consistent (K_I) / inconsistent (K_II) classes, the KL-vs-QL suppressions and the
/// query-KN mapping.
/// </summary>
public sealed class ConsistencyOptions
{
    public const string SectionName = "consistency";

    /// <summary>Compute consistency and run its interventions after attribution.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>n: the first n correct training-template queries (template order) a cell is classified on.</summary>
    [Range(2, 100)]
    public int Queries { get; set; } = 4;

    /// <summary>The static τ: inconsistent (K_II) when CS₂ &lt; τ.</summary>
    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double Tau { get; set; } = 0.3;

    /// <summary>Bins of the CS₂ histogram Otsu's threshold is computed on (over [0, 1]).</summary>
    [Range(4, 1000)]
    public int OtsuBins { get; set; } = 50;

    /// <summary>Suppress each cell's refined set against each query's own top KNs of the same size.</summary>
    public bool KlVsQl { get; set; } = true;

    /// <summary>Suppress (×0) and enhance (×2) own, neighbour and intersection sets and their random controls.</summary>
    public bool Mapping { get; set; } = true;

    public IEnumerable<OptionError> Validate() => OptionChecks.Check(this, SectionName);
}
