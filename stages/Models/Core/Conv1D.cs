using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Models.Core;

/// <summary>GPT-2's Conv1D: a linear layer whose weight is stored [in, out] (y = x @ W + b), kept as HF stores it.</summary>
public sealed class Conv1D : nn.Module<Tensor, Tensor>
{
    public Parameter weight;
    public Parameter bias;

    public Conv1D(long inFeatures, long outFeatures) : base(nameof(Conv1D))
    {
        weight = new Parameter(empty(inFeatures, outFeatures));
        bias = new Parameter(zeros(outFeatures));
        register_parameter("weight", weight);
        register_parameter("bias", bias);
    }

    public override Tensor forward(Tensor x)
    {
        // One addmm over all leading dimensions: the bias add is fused into the GEMM.
        var flat = x.reshape(-1, x.shape[^1]);
        var y = addmm(bias, flat, weight, beta: 1, alpha: 1);
        return y.view(x.shape[..^1].Append(weight.shape[1]).ToArray());
    }
}
