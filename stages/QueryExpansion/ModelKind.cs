namespace KnPipeline.Stages.QueryExpansion;

/// <summary>How a model reads a query (DESIGN §2, prediction position).</summary>
public enum ModelKind
{
    /// <summary>Decoder-only (GPT-2, LLaMA): the prompt is the text before [Y]; [X] must come first.</summary>
    Causal,

    /// <summary>Masked LM (BERT): [Y] becomes k mask tokens; any template order works.</summary>
    Masked,
}
