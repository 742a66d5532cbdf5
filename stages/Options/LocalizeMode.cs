namespace KnPipeline.Stages.Options;

/// <summary>
/// Which queries are localized (<c>attribution.localize</c>): only those the model answers correctly, or all.
/// </summary>
public enum LocalizeMode
{
    Correct,
    All,
}
