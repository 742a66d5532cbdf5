using TorchSharp;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Models.Core;

/// <summary>
/// The model API every later stage uses, common to the BERT, GPT-2 and LLaMA families. A family supplies the
/// per-layer primitives (attention input, q/k/v, attention merge, FFN activation, FFN output, final hidden state,
/// head); this class composes them into a full forward pass, and <see cref="PrefixCache"/> composes them into the
/// prefix-cached partial passes of docs/architecture.md (Speed).
/// </summary>
public abstract class TransformerLM : nn.Module
{
    protected TransformerLM(string name, ModelConfig config) : base(name)
    {
        Config = config;
    }

    public ModelConfig Config { get; }
    public string Family => Config.Family;
    public abstract bool IsCausal { get; }
    public int NumLayers => Config.NumLayers;
    public int FfnWidth => Config.FfnWidth;
    public int HiddenSize => Config.HiddenSize;
    public int VocabSize => Config.VocabSize;

    /// <summary>The neuron definition (docs/architecture.md, Definitions) in words, written into every output's
    /// metadata.</summary>
    public abstract string NeuronDefinition { get; }

    /// <summary>A projection's output [.., T, heads·hd] viewed per head: [.., heads, T, hd].</summary>
    protected Tensor SplitHeads(Tensor t, int heads)
    {
        var shape = t.shape[..^1].Concat([(long)heads, Config.HeadDim]).ToArray();
        return t.view(shape).transpose(-2, -3);
    }

    // ---- per-layer primitives supplied by each family ----

    /// <summary>Token (+ position, + segment) embeddings: [B, T] → [B, T, d].</summary>
    public abstract Tensor Embed(Tensor inputIds, Tensor positionIds, Tensor? tokenTypeIds);

    /// <summary>The hidden state that feeds attention (pre-LN families normalise here; BERT passes x
    /// through).</summary>
    public abstract Tensor AttentionInput(int layer, Tensor x);

    /// <summary>q [.., H, T, hd], k and v [.., Hkv, T, hd] for tokens at <paramref name="positionIds"/> (RoPE
    /// applied).</summary>
    public abstract (Tensor Q, Tensor K, Tensor V) QueryKeyValue(int layer, Tensor h, Tensor positionIds);

    /// <summary>Residual after attention: x_mid from x and the merged attention context [.., T, H·hd].</summary>
    public abstract Tensor AttentionMerge(int layer, Tensor x, Tensor context);

    /// <summary>The FFN neuron activation (docs/architecture.md, Definitions) from x_mid.</summary>
    public abstract Tensor FfnActivation(int layer, Tensor xMid);

    /// <summary>The layer's output from x_mid and the (possibly replaced) activation.</summary>
    public abstract Tensor FfnOutput(int layer, Tensor xMid, Tensor activation);

    /// <summary>What the head multiplies: the final norm (GPT-2, LLaMA) or the MLM transform (BERT).</summary>
    public abstract Tensor FinalHidden(Tensor x);

    /// <summary>The output embedding [V, d] (tied or not).</summary>
    public abstract Tensor HeadWeight { get; }

    /// <summary>The output bias [V] (BERT's MLM head), or null.</summary>
    public abstract Tensor? HeadBias { get; }

    /// <summary>The FFN output projection weight as [d, ffn] — column i is neuron i's value slot — for
    /// editing.</summary>
    public abstract Tensor FfnValueWeight(int layer, out bool transposed);

    /// <summary>The word embedding matrix [V, d] (input side).</summary>
    public abstract Tensor InputEmbedding { get; }

    public Tensor Head(Tensor hidden)
    {
        var logits = hidden.matmul(HeadWeight.t());
        return HeadBias is null ? logits : logits.add_(HeadBias);
    }

    // ---- composed passes ----

    /// <summary>Default position ids: Hugging Face's cumsum(mask) − 1, pads set to 1 (plus the RoBERTa
    /// offset).</summary>
    public virtual Tensor DefaultPositionIds(ForwardInputs inputs)
    {
        var ids = inputs.InputIds;
        if (inputs.AttentionMask is null)
            return arange(ids.shape[1], dtype: ScalarType.Int64, device: ids.device).unsqueeze(0).expand(ids.shape);
        var m = inputs.AttentionMask.to_type(ScalarType.Int64);
        return (m.cumsum(1) - 1).masked_fill(m.eq(0), Scalars.Of(1));
    }

    /// <summary>The additive-free attention visibility [B, 1, T, T]: key j visible to query i.</summary>
    public Tensor VisibilityMask(ForwardInputs inputs)
    {
        var ids = inputs.InputIds;
        long t = ids.shape[1];
        var keys = (inputs.AttentionMask ?? ones_like(ids)).to_type(ScalarType.Bool).unsqueeze(1).unsqueeze(1);
        if (!IsCausal)
            return keys;
        var causal = ones(t, t, dtype: ScalarType.Bool, device: ids.device).tril().unsqueeze(0).unsqueeze(0);
        return keys.logical_and(causal);
    }

    /// <summary>Runs every layer and returns the hidden states after the last one, [B, T, d].</summary>
    public Tensor ForwardHidden(ForwardInputs inputs, IForwardInterceptor? interceptor = null,
                                Action<LayerTrace>? onLayer = null)
    {
        var pos = inputs.PositionIds ?? DefaultPositionIds(inputs);
        var visible = VisibilityMask(inputs);
        var x = Embed(inputs.InputIds, pos, inputs.TokenTypeIds);
        for (int l = 0; l < NumLayers; l++)
        {
            // Each layer's temporaries are released as soon as it ends: a dispose scope would otherwise keep every
            // intermediate of the whole pass alive. What autograd saved stays alive through the graph itself.
            using var scope = NewDisposeScope();
            var h = AttentionInput(l, x);
            var (q, k, v) = QueryKeyValue(l, h, pos);
            var ctx = Attend(l, q, k, v, visible, interceptor);
            var xMid = AttentionMerge(l, x, ctx);
            var act = FfnActivation(l, xMid);
            if (interceptor != null)
                act = interceptor.OnActivation(l, act);
            var xOut = FfnOutput(l, xMid, act);
            if (onLayer != null)
                onLayer(new LayerTrace(l, k.MoveToOuterDisposeScope(), v.MoveToOuterDisposeScope(),
                    xMid.MoveToOuterDisposeScope(), act.MoveToOuterDisposeScope(),
                    xOut.alias().MoveToOuterDisposeScope()));
            x = xOut.MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>Logits at one position per row ([B] positions → [B, V]), or at every position when null ([B, T,
    /// V]).</summary>
    public Tensor Logits(ForwardInputs inputs, Tensor? positions = null, IForwardInterceptor? interceptor = null)
    {
        var x = ForwardHidden(inputs, interceptor);
        if (positions is not null)
            x = x[arange(x.shape[0], device: x.device), positions];
        return Head(FinalHidden(x));
    }

    /// <summary>Scaled dot-product attention with grouped KV heads and a boolean visibility mask.</summary>
    public Tensor Attend(int layer, Tensor q, Tensor k, Tensor v, Tensor visible, IForwardInterceptor? interceptor)
    {
        long groups = q.shape[^3] / k.shape[^3];
        if (groups > 1)
        {
            k = k.repeat_interleave(groups, dim: -3);
            v = v.repeat_interleave(groups, dim: -3);
        }
        var scores = q.matmul(k.transpose(-1, -2)).mul_(Scalars.Of(1.0 / Math.Sqrt(q.shape[^1])));
        // Masked scores take the most negative finite value, as Hugging Face does: a pad query that sees no key
        // then gets a finite uniform row instead of NaN, which would leak into real positions through 0·NaN.
        scores = scores.masked_fill(visible.logical_not(), Scalars.Of(MinValue(scores.dtype)));
        var probs = scores.softmax(-1);
        if (interceptor != null)
            probs = interceptor.OnAttentionProbs(layer, probs);
        var ctx = probs.matmul(v);
        // [.., H, T, hd] → [.., T, H·hd]
        return ctx.transpose(-2, -3).flatten(-2);
    }

    public static double MinValue(ScalarType t) => t switch
    {
        ScalarType.Float16 => -65504.0,
        ScalarType.BFloat16 => -3.3895313892515355e38,
        ScalarType.Float64 => double.MinValue,
        _ => float.MinValue,
    };

    /// <summary>Freezes every parameter and switches to inference behaviour (no dropout).</summary>
    public void Freeze()
    {
        foreach (var p in parameters())
            p.requires_grad = false;
        eval();
    }
}

/// <summary>What one layer computed in a full pass: the prefix cache of docs/architecture.md (Speed) is built from
/// these.</summary>
public sealed record LayerTrace(int Layer, Tensor Keys, Tensor Values, Tensor XMid, Tensor Activation, Tensor XOut);
