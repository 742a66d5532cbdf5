namespace KnPipeline.Stages.Options;

/// <summary>
/// Which gold tokens are scored (<c>attribution.target</c>): the first object token, or all of them teacher-forced and
/// averaged.
/// </summary>
public enum AttributionTarget
{
    FirstToken,
    AllTokens,
}
