using KnPipeline.Stages.Models.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Models.Gpt2;

/// <summary>GPT-2 (GPT2LMHeadModel): pre-LayerNorm blocks, learned positions, Conv1D weights, gelu_new, tied head.</summary>
public sealed class Gpt2Model : TransformerLM
{
    private readonly Gpt2Body _transformer;
    // The module, not its weight: Module.to(dtype or device) replaces parameters, so a cached Parameter would go stale.
    private readonly Linear? _lmHead;

    public Gpt2Model(ModelConfig config) : base("gpt2", config)
    {
        _transformer = new Gpt2Body(config);
        register_module("transformer", _transformer);
        if (!config.TieWordEmbeddings)
        {
            var head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
            register_module("lm_head", head);
            _lmHead = head;
        }
    }

    public override bool IsCausal => true;

    public override string NeuronDefinition =>
        "GPT-2 neuron (layer l, unit i): a = gelu_new(ln_2(x_mid) @ c_fc.weight + c_fc.bias), the input of " +
        "transformer.h.{l}.mlp.c_proj, at the prediction position";

    private Gpt2Block Block(int l) => (Gpt2Block)_transformer.h[l];

    public override Tensor Embed(Tensor inputIds, Tensor positionIds, Tensor? tokenTypeIds) =>
        _transformer.wte.call(inputIds) + _transformer.wpe.call(positionIds);

    public override Tensor AttentionInput(int layer, Tensor x) => Block(layer).ln_1.call(x);

    public override (Tensor Q, Tensor K, Tensor V) QueryKeyValue(int layer, Tensor h, Tensor positionIds)
    {
        var qkv = Block(layer).c_attn.call(h);
        var parts = qkv.split(Config.HiddenSize, -1);
        return (SplitHeads(parts[0], Config.NumHeads), SplitHeads(parts[1], Config.NumHeads), SplitHeads(parts[2], Config.NumHeads));
    }

    public override Tensor AttentionMerge(int layer, Tensor x, Tensor context) => x + Block(layer).attn_c_proj.call(context);

    public override Tensor FfnActivation(int layer, Tensor xMid) =>
        GeluNew(Block(layer).c_fc.call(Block(layer).ln_2.call(xMid)));

    public override Tensor FfnOutput(int layer, Tensor xMid, Tensor activation) => xMid + Block(layer).mlp_c_proj.call(activation);

    public override Tensor FinalHidden(Tensor x) => _transformer.ln_f.call(x);

    public override Tensor HeadWeight => _lmHead?.weight ?? _transformer.wte.weight!;

    public override Tensor? HeadBias => null;

    public override Tensor InputEmbedding => _transformer.wte.weight!;

    public override Tensor FfnValueWeight(int layer, out bool transposed)
    {
        // Conv1D stores c_proj as [ffn, d]: neuron i's value slot is row i.
        transposed = true;
        return Block(layer).mlp_c_proj.weight;
    }

    /// <summary>
    /// gelu_new(x) = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): libtorch's tanh-approximate GELU is this formula
    /// as one fused kernel, which saves one tensor for the backward instead of six.
    /// </summary>
    public static Tensor GeluNew(Tensor x) => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh);
}

internal sealed class Gpt2Body : nn.Module
{
    public readonly Embedding wte, wpe;
    public readonly ModuleList<nn.Module> h;
    public readonly LayerNorm ln_f;

    public Gpt2Body(ModelConfig c) : base("transformer")
    {
        wte = nn.Embedding(c.VocabSize, c.HiddenSize);
        wpe = nn.Embedding(c.MaxPositions, c.HiddenSize);
        h = nn.ModuleList(Enumerable.Range(0, c.NumLayers).Select(_ => (nn.Module)new Gpt2Block(c)).ToArray());
        ln_f = nn.LayerNorm(c.HiddenSize, c.NormEps);
        register_module("wte", wte);
        register_module("wpe", wpe);
        register_module("h", h);
        register_module("ln_f", ln_f);
    }
}

internal sealed class Gpt2Block : nn.Module
{
    public readonly LayerNorm ln_1, ln_2;
    public readonly Conv1D c_attn, attn_c_proj, c_fc, mlp_c_proj;

    public Gpt2Block(ModelConfig c) : base("block")
    {
        ln_1 = nn.LayerNorm(c.HiddenSize, c.NormEps);
        ln_2 = nn.LayerNorm(c.HiddenSize, c.NormEps);
        c_attn = new Conv1D(c.HiddenSize, 3 * c.HiddenSize);
        attn_c_proj = new Conv1D(c.HiddenSize, c.HiddenSize);
        c_fc = new Conv1D(c.HiddenSize, c.FfnWidth);
        mlp_c_proj = new Conv1D(c.FfnWidth, c.HiddenSize);
        var attn = new Holder("attn", ("c_attn", c_attn), ("c_proj", attn_c_proj));
        var mlp = new Holder("mlp", ("c_fc", c_fc), ("c_proj", mlp_c_proj));
        register_module("ln_1", ln_1);
        register_module("attn", attn);
        register_module("ln_2", ln_2);
        register_module("mlp", mlp);
    }
}
