using KnPipeline.Stages.Models.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Models.Llama;

/// <summary>
/// LLaMA, Mistral and Qwen2 (LlamaForCausalLM and relatives): RMSNorm, rotate-half RoPE with rope_theta, grouped
/// KV heads, SwiGLU, optional q/k/v bias, tied or untied head.
/// </summary>
public sealed class LlamaModel : TransformerLM
{
    private readonly LlamaBody _model;
    // The module, not its weight: Module.to(dtype or device) replaces parameters, so a cached Parameter would go stale.
    private readonly Linear? _lmHead;
    private readonly Tensor _invFreq;

    public LlamaModel(ModelConfig config) : base("llama", config)
    {
        _model = new LlamaBody(config);
        register_module("model", _model);
        if (!config.TieWordEmbeddings)
        {
            var head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
            register_module("lm_head", head);
            _lmHead = head;
        }
        int half = config.HeadDim / 2;
        // Built in float64 and kept as a non-persistent buffer so that load_state_dict never expects it.
        var exps = arange(0, half, dtype: ScalarType.Float64) * (2.0 / config.HeadDim);
        _invFreq = pow(config.RopeTheta, exps).reciprocal();
        register_buffer("inv_freq", _invFreq, persistent: false);
    }

    public override bool IsCausal => true;

    public override string NeuronDefinition =>
        "LLaMA neuron (layer l, unit i): a = silu(gate_proj(h)) * up_proj(h), h = post_attention_layernorm(x_mid), " +
        "the input of model.layers.{l}.mlp.down_proj, at the prediction position";

    private LlamaLayer Layer(int l) => (LlamaLayer)_model.layers[l];

    public override Tensor Embed(Tensor inputIds, Tensor positionIds, Tensor? tokenTypeIds) => _model.embed_tokens.call(inputIds);

    public override Tensor AttentionInput(int layer, Tensor x) => Layer(layer).input_layernorm.call(x);

    public override (Tensor Q, Tensor K, Tensor V) QueryKeyValue(int layer, Tensor h, Tensor positionIds)
    {
        var L = Layer(layer);
        var q = SplitHeads(L.q_proj.call(h), Config.NumHeads);
        var k = SplitHeads(L.k_proj.call(h), Config.NumKvHeads);
        var v = SplitHeads(L.v_proj.call(h), Config.NumKvHeads);
        var (cos, sin) = Rope(positionIds, q.dtype);
        return (q * cos + RotateHalf(q) * sin, k * cos + RotateHalf(k) * sin, v);
    }

    /// <summary>cos and sin tables [.., 1, T, hd] for the given positions, computed in float64 then cast.</summary>
    private (Tensor Cos, Tensor Sin) Rope(Tensor positionIds, ScalarType dtype)
    {
        var freqs = positionIds.to_type(ScalarType.Float64).unsqueeze(-1) * _invFreq.to(positionIds.device);
        var emb = cat([freqs, freqs], -1).unsqueeze(-3);
        return (emb.cos().to_type(dtype), emb.sin().to_type(dtype));
    }

    private static Tensor RotateHalf(Tensor x)
    {
        long half = x.shape[^1] / 2;
        return cat([-x[TensorIndex.Ellipsis, TensorIndex.Slice(half)], x[TensorIndex.Ellipsis, TensorIndex.Slice(0, half)]], -1);
    }

    public override Tensor AttentionMerge(int layer, Tensor x, Tensor context) => x + Layer(layer).o_proj.call(context);

    public override Tensor FfnActivation(int layer, Tensor xMid)
    {
        var L = Layer(layer);
        var h = L.post_attention_layernorm.call(xMid);
        return nn.functional.silu(L.gate_proj.call(h)) * L.up_proj.call(h);
    }

    public override Tensor FfnOutput(int layer, Tensor xMid, Tensor activation) => xMid + Layer(layer).down_proj.call(activation);

    public override Tensor FinalHidden(Tensor x) => _model.norm.call(x);

    public override Tensor HeadWeight => _lmHead?.weight ?? _model.embed_tokens.weight!;

    public override Tensor? HeadBias => null;

    public override Tensor InputEmbedding => _model.embed_tokens.weight!;

    public override Tensor FfnValueWeight(int layer, out bool transposed)
    {
        // nn.Linear stores down_proj as [d, ffn]: neuron i's value slot is column i.
        transposed = false;
        return Layer(layer).down_proj.weight!;
    }
}

internal sealed class LlamaBody : nn.Module
{
    public readonly Embedding embed_tokens;
    public readonly ModuleList<nn.Module> layers;
    public readonly RmsNorm norm;

    public LlamaBody(ModelConfig c) : base("model")
    {
        embed_tokens = nn.Embedding(c.VocabSize, c.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, c.NumLayers).Select(_ => (nn.Module)new LlamaLayer(c)).ToArray());
        norm = new RmsNorm(c.HiddenSize, c.NormEps);
        register_module("embed_tokens", embed_tokens);
        register_module("layers", layers);
        register_module("norm", norm);
    }
}

internal sealed class LlamaLayer : nn.Module
{
    public readonly Linear q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj;
    public readonly RmsNorm input_layernorm, post_attention_layernorm;

    public LlamaLayer(ModelConfig c) : base("layer")
    {
        int q = c.NumHeads * c.HeadDim, kv = c.NumKvHeads * c.HeadDim;
        q_proj = nn.Linear(c.HiddenSize, q, hasBias: c.AttentionBias);
        k_proj = nn.Linear(c.HiddenSize, kv, hasBias: c.AttentionBias);
        v_proj = nn.Linear(c.HiddenSize, kv, hasBias: c.AttentionBias);
        // Qwen2 puts biases on q/k/v only; LLaMA's attention_bias also covers o_proj.
        o_proj = nn.Linear(q, c.HiddenSize, hasBias: c.AttentionBias && c.ModelType != "qwen2");
        gate_proj = nn.Linear(c.HiddenSize, c.FfnWidth, hasBias: c.MlpBias);
        up_proj = nn.Linear(c.HiddenSize, c.FfnWidth, hasBias: c.MlpBias);
        down_proj = nn.Linear(c.FfnWidth, c.HiddenSize, hasBias: c.MlpBias);
        input_layernorm = new RmsNorm(c.HiddenSize, c.NormEps);
        post_attention_layernorm = new RmsNorm(c.HiddenSize, c.NormEps);
        register_module("self_attn", new Holder("self_attn", ("q_proj", q_proj), ("k_proj", k_proj), ("v_proj", v_proj), ("o_proj", o_proj)));
        register_module("mlp", new Holder("mlp", ("gate_proj", gate_proj), ("up_proj", up_proj), ("down_proj", down_proj)));
        register_module("input_layernorm", input_layernorm);
        register_module("post_attention_layernorm", post_attention_layernorm);
    }
}
