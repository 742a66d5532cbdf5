namespace KnPipeline.Stages.Attribution;

/// <summary>
/// The function F whose gradient is integrated (<c>attribution.objective</c>): target probability or its log.
/// </summary>
public enum AttributionObjective
{
    Prob,
    Logprob,
}
