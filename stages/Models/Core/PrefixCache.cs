using static TorchSharp.torch;

namespace KnPipeline.Stages.Models.Core;

/// <summary>
/// A prompt batch run once, with every layer's keys, values, x_mid, activation and output kept (docs/architecture.md,
/// Speed). Later passes start at any layer from this cache and compute only what an intervention there can change:
/// <list type="bullet">
/// <item>causal LMs: a few chosen positions ("slots", e.g. the prediction position and teacher-forced object tokens),
/// attending to the cached keys and values of the positions before the first slot plus their own;</item>
/// <item>MLMs: whole sequences, since every position sees every other.</item>
/// </list>
/// Any number of rows per prompt ([B, R, ...]) share one prompt's cache, which is read once per KV head.
/// </summary>
public sealed class PrefixCache
{
    private readonly TransformerLM _model;

    private PrefixCache(TransformerLM model, ForwardInputs inputs, LayerTrace[] layers, Tensor hidden,
        Tensor positionIds)
    {
        _model = model;
        Inputs = inputs;
        Layers = layers;
        Hidden = hidden;
        PositionIds = positionIds;
    }

    public ForwardInputs Inputs { get; }
    public IReadOnlyList<LayerTrace> Layers { get; }
    /// <summary>The hidden states after the last layer, [B, T, d] (before the final norm).</summary>
    public Tensor Hidden { get; }
    public Tensor PositionIds { get; }

    public static PrefixCache Build(TransformerLM model, ForwardInputs inputs)
    {
        var traces = new LayerTrace[model.NumLayers];
        using var _ = no_grad();
        var pos = inputs.PositionIds ?? model.DefaultPositionIds(inputs);
        var withPos = new ForwardInputs
        {
            InputIds = inputs.InputIds, AttentionMask = inputs.AttentionMask, PositionIds = pos,
            TokenTypeIds = inputs.TokenTypeIds
        };
        var hidden = model.ForwardHidden(withPos, onLayer: t => traces[t.Layer] = t);
        return new PrefixCache(model, withPos, traces, hidden, pos);
    }

    /// <summary>
    /// Runs slot states <paramref name="x"/> [B, R, S, d] (the inputs of layer <paramref name="fromLayer"/>) through
    /// layers fromLayer..L−1. Slot s of row b sits at position <paramref name="slotPositions"/>[b, s]; slots must be
    /// consecutive positions starting at <paramref name="firstSlot"/>[b], so each sees the cache before it and the
    /// slots up to itself. <paramref name="onActivation"/> may change each layer's neuron activation of the slots.
    /// </summary>
    public Tensor RunSlots(int fromLayer, Tensor x, Tensor firstSlot, Tensor slotPositions,
        Func<int, Tensor, Tensor>? onActivation = null)
    {
        for (int j = fromLayer; j < _model.NumLayers; j++)
            x = SlotLayer(j, x, firstSlot, slotPositions, onActivation: onActivation);
        return x;
    }

    /// <summary>Runs whole-sequence rows [B, R, T, d] through layers fromLayer..L−1 (masked LMs).</summary>
    public Tensor RunSequences(int fromLayer, Tensor x)
    {
        for (int j = fromLayer; j < _model.NumLayers; j++)
            x = SequenceLayer(j, x);
        return x;
    }

    /// <summary>
    /// One causal layer for slot rows [B, R, S, d]. Row b belongs to cached prompt b, or to
    /// <paramref name="prompts"/>[b] when given (several row groups of one prompt, e.g. adaptive IG's refinements).
    /// <paramref name="onActivation"/> may change the rows' neuron activation [B, R, S, ffn].
    /// </summary>
    public Tensor SlotLayer(int j, Tensor x, Tensor firstSlot, Tensor slotPositions, Tensor? prompts = null,
        Func<int, Tensor, Tensor>? onActivation = null)
    {
        using var scope = NewDisposeScope();
        var device = x.device;
        long b = x.shape[0], r = x.shape[1], s = x.shape[2];
        var rows = prompts ?? arange(b, device: device);
        var h = _model.AttentionInput(j, x);
        var pos = PositionIds[rows.unsqueeze(1), slotPositions].unsqueeze(1);   // [B, 1, S]
        var (q, k, v) = _model.QueryKeyValue(j, h, pos);                        // q [B,R,H,S,hd], k/v [B,R,Hkv,S,hd]
        var trace = Layers[j];
        var keys = prompts is null ? trace.Keys : trace.Keys.index_select(0, prompts);
        var values = prompts is null ? trace.Values : trace.Values.index_select(0, prompts);
        long heads = q.shape[2], kvHeads = k.shape[2], hd = q.shape[^1], t = keys.shape[2], g = heads / kvHeads;
        // Group query heads by their KV head so the cache is read once per KV head: [B, Hkv, R·g·S, hd].
        var qg = q.view(b, r, kvHeads, g, s, hd).permute(0, 2, 1, 3, 4, 5).reshape(b, kvHeads, r * g * s, hd);
        var sc = qg.matmul(keys.transpose(-1, -2)).view(b, kvHeads, r, g, s, t).permute(0, 2, 1, 3, 4, 5)
                   .reshape(b, r, heads, s, t);
        var kr = g > 1 ? k.repeat_interleave(g, dim: 2) : k;
        var vr = g > 1 ? v.repeat_interleave(g, dim: 2) : v;
        var so = q.matmul(kr.transpose(-1, -2));                                          // [B, R, H, S, S]
        var scores = cat([sc, so], -1).mul_(Scalars.Of(1.0 / Math.Sqrt(hd)));
        var before = arange(t, device: device).unsqueeze(0).lt(firstSlot.unsqueeze(1));
        var mask = Inputs.AttentionMask ?? ones_like(Inputs.InputIds);
        var visible = prompts is null ? mask : mask.index_select(0, prompts);
        var cacheVis = before.logical_and(visible.to_type(ScalarType.Bool));
        var ownVis = ones(s, s, dtype: ScalarType.Bool, device: device).tril();
        var vis = cat([cacheVis.view(b, 1, 1, 1, t).expand(b, 1, 1, s, t),
            ownVis.view(1, 1, 1, s, s).expand(b, 1, 1, s, s)], -1);
        scores = scores.masked_fill(vis.logical_not(), Scalars.Of(TransformerLM.MinValue(scores.dtype)));
        var probs = scores.softmax(-1);
        var ctxC = probs.narrow(-1, 0, t).reshape(b, r, kvHeads, g, s, t).permute(0, 2, 1, 3, 4, 5)
                        .reshape(b, kvHeads, r * g * s, t).matmul(values)
                        .view(b, kvHeads, r, g, s, hd).permute(0, 2, 1, 3, 4, 5).reshape(b, r, heads, s, hd);
        var ctx = (ctxC + probs.narrow(-1, t, s).matmul(vr)).transpose(-2, -3).flatten(-2);  // [B, R, S, H·hd]
        var xMid = _model.AttentionMerge(j, x, ctx);
        var act = _model.FfnActivation(j, xMid);
        if (onActivation is not null)
            act = onActivation(j, act);
        return _model.FfnOutput(j, xMid, act).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One layer over whole sequences for rows [B, R, T, d] (of cached prompt <paramref name="prompts"/>[b] when
    /// given).
    /// </summary>
    public Tensor SequenceLayer(int j, Tensor x, Tensor? prompts = null)
    {
        using var scope = NewDisposeScope();
        var h = _model.AttentionInput(j, x);
        var pos = prompts is null ? PositionIds : PositionIds.index_select(0, prompts);
        var vis = _model.VisibilityMask(Inputs);
        var (q, k, v) = _model.QueryKeyValue(j, h, pos.unsqueeze(1));
        var ctx = _model.Attend(j, q, k, v, (prompts is null ? vis : vis.index_select(0, prompts)).unsqueeze(1), null);
        var xMid = _model.AttentionMerge(j, x, ctx);
        return _model.FfnOutput(j, xMid, _model.FfnActivation(j, xMid)).MoveToOuterDisposeScope();
    }
}
