using static TorchSharp.torch;

namespace KnPipeline.Stages.Models.Core;

/// <summary>
/// Several interceptors in one pass, applied in the order given (capture plus scaling, attention scaling plus
/// capture): each sees what the ones before it returned.
/// </summary>
public sealed class InterceptorChain(params IForwardInterceptor[] parts) : IForwardInterceptor
{
    public Tensor OnActivation(int layer, Tensor activation)
    {
        foreach (var p in parts)
            activation = p.OnActivation(layer, activation);
        return activation;
    }

    public Tensor OnAttentionProbs(int layer, Tensor probs)
    {
        foreach (var p in parts)
            probs = p.OnAttentionProbs(layer, probs);
        return probs;
    }
}
