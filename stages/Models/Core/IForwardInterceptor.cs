using static TorchSharp.torch;

namespace KnPipeline.Stages.Models.Core;

/// <summary>
/// Observes or changes a forward pass at the two places knowledge-neuron work needs: the FFN neuron activation (the
/// input of the FFN output projection; docs/architecture.md, Definitions) and the attention probabilities. Returning
/// the argument unchanged is a pure observation; returning a new tensor replaces it for the rest of the pass.
/// </summary>
public interface IForwardInterceptor
{
    /// <param name="layer">Layer index.</param>
    /// <param name="activation">[batch, seq, ffn] neuron activation.</param>
    Tensor OnActivation(int layer, Tensor activation) => activation;

    /// <param name="layer">Layer index.</param>
    /// <param name="probs">[batch, heads, query, key] attention probabilities after softmax.</param>
    Tensor OnAttentionProbs(int layer, Tensor probs) => probs;
}
