namespace KnPipeline.Stages.Editing;

/// <summary>The editing operations (DESIGN §2, "Editing ops"); the first two scale activations, the last two
/// change value slots.</summary>
public enum EditOp
{
    /// <summary>Activation × 0.</summary>
    Suppress,

    /// <summary>Activation × 2.</summary>
    Enhance,

    /// <summary>Zero the value slots.</summary>
    Erase,

    /// <summary>Norm-scaled old → new update of the value slots.</summary>
    Update,
}
