namespace KnPipeline.Stages.QueryExpansion;

/// <summary>
/// Which queries to expand, by the query's split (<see cref="Records.TemplateSplits.OfQuery"/>): training templates
/// of trained cells (<see cref="Train"/>), held-out templates of trained cells (<see cref="Heldout"/>), every template
/// of the language-held-out cells (<see cref="HeldoutLanguage"/>, YAML <c>heldout-language</c>), or all. The one
/// enum for it: <c>data.split</c> in the options and <see cref="QueryExpansionOptions.Split"/> in the stage (they were
/// two enums naming the same thing).
/// </summary>
public enum TemplateSplitFilter
{
    All,
    Train,
    Heldout,
    HeldoutLanguage,
}
