namespace KnPipeline.Stages.Options;

/// <summary>
/// The IG baseline activation b (<c>attribution.baseline</c>): zero, AMIG's masked-prompt mean, or the per-language
/// dataset mean.
/// </summary>
public enum AttributionBaseline
{
    Zero,
    Amig,
    DatasetMean,
}
