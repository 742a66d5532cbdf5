namespace KnPipeline.Stages.Records;

/// <summary>The template split names.</summary>
public static class TemplateSplits
{
    public const string Train = "train";
    public const string Heldout = "heldout";

    /// <summary>True for the two valid split names (exact, lowercase).</summary>
    public static bool IsValid(string? split) => split is Train or Heldout;
}
