namespace KnPipeline.Stages.QueryExpansion;

/// <summary>Which template split to expand.</summary>
public enum TemplateSplitFilter
{
    All,
    Train,
    Heldout,
}
