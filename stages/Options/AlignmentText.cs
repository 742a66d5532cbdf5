namespace KnPipeline.Stages.Options;

/// <summary>
/// What cross-lingual text the embedded model trains on besides each language's own statements
/// (stages/Training/README.md, Alignment text). <c>none</c> is the ablation of issue #13.
/// </summary>
public enum AlignmentText
{
    /// <summary>No text links an entity's names across languages.</summary>
    None,

    /// <summary>Name lists: each entity's names in every language on one line.</summary>
    Lists,

    /// <summary>Code-switched statements: a trained fact in one language's template with the subject named in
    /// another language.</summary>
    CodeSwitch,

    /// <summary>Both.</summary>
    Both,
}
