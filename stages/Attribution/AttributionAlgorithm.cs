namespace KnPipeline.Stages.Attribution;

/// <summary>
/// How IG is computed (<c>attribution.algorithm</c>): fast re-runs only the layers above l from cached states; naive
/// runs full passes (the reference).
/// </summary>
public enum AttributionAlgorithm
{
    Fast,
    Naive,
}
