namespace KnPipeline.Stages.QueryExpansion;

/// <summary>
/// How a model reads a query (docs/architecture.md, "prediction position"); <c>model.kind</c> in the config.
/// <see cref="Auto"/> exists for the config only: it is resolved from the checkpoint
/// (<see cref="ModelKinds.Resolve"/>) before any stage sees it, and stages refuse it.
/// </summary>
public enum ModelKind
{
    /// <summary>Read it from the checkpoint's config (the config's default).</summary>
    Auto,

    /// <summary>Decoder-only (GPT-2, LLaMA): the prompt is the text before [Y]; [X] must come first.</summary>
    Causal,

    /// <summary>Masked LM (BERT): [Y] becomes k mask tokens; any template order works.</summary>
    Masked,
}

public static class ModelKinds
{
    /// <summary>The configured kind, or the checkpoint's own when the config says auto.</summary>
    public static ModelKind Resolve(this ModelKind configured, bool checkpointIsCausal) =>
        configured != ModelKind.Auto ? configured : checkpointIsCausal ? ModelKind.Causal : ModelKind.Masked;
}
