namespace KnPipeline.Stages.Options;

/// <summary>How an option property is written in YAML.</summary>
public enum OptionValueKind
{
    /// <summary>A single value: number, bool, string or enum.</summary>
    Scalar,

    /// <summary>A list of scalars (<c>[en, fr]</c>).</summary>
    List,

    /// <summary>A nested mapping of keys bound onto another options class.</summary>
    Section,
}
