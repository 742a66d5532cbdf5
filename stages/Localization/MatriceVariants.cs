namespace KnPipeline.Stages.Localization;

/// <summary>MATRICE's query-level aggregation within one language (docs/architecture.md, MATRICE, step 2).</summary>
public enum QueryVariant
{
    /// <summary>S_i^ℓ = mean_q Ã_i(q) − λ_q · std_q Ã_i(q) (the default).</summary>
    MeanStd,

    /// <summary>S_i^ℓ = Σ_q w_q Ã_i(q) / Σ_q w_q with w_q = P(o | q).</summary>
    ConfidenceWeighted,

    /// <summary>S_i^ℓ = the share of queries with Ã_i(q) &gt; t (Dai-style sharing).</summary>
    Frequency,
}

/// <summary>MATRICE's language-level aggregation (docs/architecture.md, MATRICE, step 3).</summary>
public enum LanguageVariant
{
    /// <summary>S_i = mean_ℓ S_i^ℓ − λ_ℓ · std_ℓ S_i^ℓ; agnostic iff S_i &gt; τ (the default).</summary>
    MeanStd,

    /// <summary>Agnostic iff S_i^ℓ &gt; τ in every language (AMIG's N_en ∩ N_zh, generalised); S_i = min_ℓ S_i^ℓ.</summary>
    All,

    /// <summary>Agnostic iff S_i^ℓ &gt; τ in at least k = ⌈half the localized languages⌉; S_i = the k-th largest
    /// S_i^ℓ.</summary>
    AtLeastK,
}

public static class MatriceVariantNames
{
    public static string Of(QueryVariant v) => v switch
    {
        QueryVariant.MeanStd => "mean-std",
        QueryVariant.ConfidenceWeighted => "confidence-weighted",
        _ => "frequency",
    };

    public static string Of(LanguageVariant v) => v switch
    {
        LanguageVariant.MeanStd => "mean-std",
        LanguageVariant.All => "all",
        _ => "at-least-k",
    };
}
