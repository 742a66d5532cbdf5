namespace KnPipeline.Stages.Attribution;

/// <summary>
/// A localization method (<c>attribution.methods</c>): integrated gradients from one baseline activation b
/// (docs/architecture.md, Definitions). <c>dai</c> integrates from zero, as Dai et al.; <c>amig</c> from AMIG's
/// baseline, the mean activation over copies of the prompt with one token replaced by [MASK] (masked LMs) or
/// end-of-text (causal LMs); AMIG's own code multiplies the path integral by a_i where we multiply by a_i − b̄_i, so
/// completeness holds against F(a) − F(b̄). <c>dataset-mean</c> integrates from the per-language mean activation.
/// </summary>
public enum AttributionMethod
{
    Dai,
    Amig,
    DatasetMean,
}
