using TorchSharp;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Models.Core;

/// <summary>A named container that only exists to reproduce Hugging Face's parameter paths.</summary>
internal sealed class Holder : nn.Module
{
    public Holder(string name, params (string Name, nn.Module Module)[] children) : base(name)
    {
        foreach (var (n, m) in children)
            register_module(n, m);
    }
}
