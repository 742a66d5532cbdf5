namespace KnPipeline.Stages.Options;

/// <summary>Language-model family (<c>model.kind</c>): auto reads it from the checkpoint's config.</summary>
public enum ModelKind
{
    Auto,
    Causal,
    Masked,
}
