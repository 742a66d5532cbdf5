namespace KnPipeline.Stages.QueryExpansion;

/// <summary>
/// Which template split to expand: the templates whose split is <see cref="Records.TemplateSplits.Train"/>, those
/// whose split is <see cref="Records.TemplateSplits.Heldout"/>, or all. The one enum for it: <c>data.split</c> in the
/// options and <see cref="QueryExpansionOptions.Split"/> in the stage (they were two enums naming the same thing).
/// </summary>
public enum TemplateSplitFilter
{
    All,
    Train,
    Heldout,
}
