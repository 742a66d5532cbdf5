using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Models.Core;

/// <summary>RMSNorm(x) = x / sqrt(mean(x²) + eps) · weight, computed in float32 as Hugging Face's LlamaRMSNorm does.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    public Parameter weight;
    private readonly double _eps;

    public RmsNorm(long size, double eps) : base(nameof(RmsNorm))
    {
        weight = new Parameter(ones(size));
        _eps = eps;
        register_parameter("weight", weight);
    }

    public override Tensor forward(Tensor x)
    {
        var dtype = x.dtype;
        var x32 = x.to_type(ScalarType.Float32);
        var normed = x32 * rsqrt(x32.pow(Scalars.Of(2)).mean([-1], keepdim: true) + Scalars.Of(_eps));
        return weight * normed.to_type(dtype);
    }
}
