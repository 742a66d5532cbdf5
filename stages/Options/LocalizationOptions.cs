using System.ComponentModel.DataAnnotations;

namespace KnPipeline.Stages.Options;

/// <summary>
/// The <c>localization:</c> section: KN sets per fact and language, MATRICE's aggregation across queries and
/// languages, and the leave-one-language-out test (docs/architecture.md, MATRICE). Every query-level × language-level
/// variant is computed (they are cheap); the default pair (mean-std × mean-std) feeds the summary.
/// </summary>
public sealed class LocalizationOptions
{
    public const string SectionName = "localization";

    /// <summary>Run the per-fact analyses and the leave-one-language-out interventions after attribution.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>p: a refined KN is coarse in more than this share of the fact's correct queries in a language.</summary>
    [Range(0.0, 1.0, MaximumIsExclusive = true)]
    public double RefinedShare { get; set; } = 0.3;

    /// <summary>Correct training-template queries a (fact, language) needs to be localized.</summary>
    [Range(1, 1000)]
    public int MinQueries { get; set; } = 2;

    /// <summary>τ: MATRICE's threshold on the normalized aggregated score.</summary>
    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double Tau { get; set; } = 0.3;

    /// <summary>λ_q in mean − λ_q · std over a language's queries.</summary>
    [Range(0.0, 10.0)]
    public double QueryLambda { get; set; } = 1.0;

    /// <summary>λ_ℓ in mean − λ_ℓ · std over a fact's languages.</summary>
    [Range(0.0, 10.0)]
    public double LanguageLambda { get; set; } = 1.0;

    /// <summary>An agnostic neuron is fact-specific when agnostic for at most this share of its relation's facts
    /// (and always when agnostic for one fact only).</summary>
    [Range(0.0, 1.0)]
    public double FactSpecificRatio { get; set; } = 0.1;

    /// <summary>Neurons kept per relation (top-k of the mean aggregated score over its facts).</summary>
    [Range(1, 100_000)]
    public int RelationTopK { get; set; } = 20;

    /// <summary>Run the leave-one-language-out suppression arms on the device.</summary>
    public bool Lolo { get; set; } = true;

    /// <summary>Resamples of the bootstrap over facts behind every interval.</summary>
    [Range(100, 100_000)]
    public int BootstrapResamples { get; set; } = 1000;

    public IEnumerable<OptionError> Validate() => OptionChecks.Check(this, SectionName);
}
