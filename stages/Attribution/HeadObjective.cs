using static TorchSharp.torch;
using KnPipeline.Stages.Models.Core;

namespace KnPipeline.Stages.Attribution;

/// <summary>
/// F = p_t (or log p_t) of target tokens and its gradient with respect to the final hidden state, computed by hand
/// outside autograd. The LM head is the largest matmul of attribution (a full softmax over the vocabulary for every
/// α row, forward and backward), so it runs as one online softmax over vocabulary chunks: each chunk's logits go
/// into one kept buffer, are turned into exp(logit − chunk max) in place, and are multiplied back by the chunk's
/// weights at once, while the buffer is still warm; running maxima rescale the partial sums (as flash attention
/// does). The exponentials are computed once, the logits over the whole vocabulary never exist at the same time, and
/// no fresh [rows × vocabulary] output is page-faulted in per batch.
/// dF/dh = p_t·(W_t − softmax·W) for prob, W_t − softmax·W for logprob.
/// </summary>
public sealed class HeadObjective(TransformerLM model, AttributionObjective objective, int chunk = 8192) : IDisposable
{
    private Tensor? _logits;   // flat, capacity ≥ rows × chunk
    private Tensor? _product;  // [capacity rows, d]: one chunk's exp(logits)·W

    public bool LogProb { get; } = objective switch
    {
        AttributionObjective.Prob => false,
        AttributionObjective.Logprob => true,
        _ => throw new ArgumentOutOfRangeException(nameof(objective), $"unknown objective {objective}"),
    };

    /// <summary>
    /// F for each row of <paramref name="hidden"/> [N, d] and, when <paramref name="rowWeights"/> is given, the
    /// gradient of Σ_r weight_r·F_r with respect to hidden.
    /// </summary>
    public (Tensor F, Tensor? GradHidden) Evaluate(Tensor hidden, Tensor targets, Tensor? rowWeights)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var h = hidden.detach().contiguous();
        long n = h.shape[0], d = h.shape[1];
        var w = model.HeadWeight;
        var bias = model.HeadBias;
        long vocab = w.shape[0];
        long width = Math.Min(chunk, vocab);
        bool grad = rowWeights is not null;
        // The running maxima, sums and softmax·W accumulate in float32 even for half-precision models: they add up
        // a whole vocabulary. The [rows × chunk] work stays in the model's dtype.
        var acc32 = h.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : h.dtype;
        EnsureBuffers(n, width, d, h);
        Tensor? runMax = null, sumExp = null, acc = null;
        for (long start = 0; start < vocab; start += width)
        {
            long len = Math.Min(width, vocab - start);
            var wc = w.narrow(0, start, len);
            // A contiguous [n, len] view of the flat buffer, so the GEMM writes it with no leading-dimension gap.
            var v = _logits!.narrow(0, 0, n * len).view(n, len);
            v.addmm_(h, wc.t(), beta: 0, alpha: 1);
            if (bias is not null)
                v.add_(bias.narrow(0, start, len));
            var mc = v.amax([1]);
            var e = v.sub_(mc.unsqueeze(1)).exp_();
            var m = mc.to_type(acc32);
            var s = e.sum([1], type: acc32);
            Tensor? prod = grad ? _product!.narrow(0, 0, n).addmm_(e, wc, beta: 0, alpha: 1).to_type(acc32) : null;
            if (runMax is null)
            {
                runMax = m;
                sumExp = s;
                acc = prod?.clone();
                continue;
            }
            // Rescale what was summed against the old maximum and what this chunk summed against its own.
            var newMax = maximum(runMax, m);
            var oldScale = (runMax - newMax).exp_();
            var newScale = (m - newMax).exp_();
            sumExp = sumExp!.mul_(oldScale).add_(s.mul_(newScale));
            if (prod is not null)
                acc = acc!.mul_(oldScale.unsqueeze(1)).addcmul_(prod, newScale.unsqueeze(1), 1);
            runMax = newMax;
        }
        var lse = runMax!.add(sumExp!.log());
        var wt = w.index_select(0, targets).to_type(acc32);
        var targetLogit = (h.to_type(acc32) * wt).sum(1);
        if (bias is not null)
            targetLogit = targetLogit + bias.index_select(0, targets).to_type(acc32);
        var logp = targetLogit - lse;
        var f = LogProb ? logp : logp.exp();
        if (!grad)
            return (f.MoveToOuterDisposeScope(), null);
        // softmax · W = acc / Σexp (both relative to the same running maximum).
        var gradH = wt.sub_(acc!.div_(sumExp!.unsqueeze(1)));
        var scale = LogProb ? rowWeights!.to_type(acc32) : rowWeights!.to_type(acc32) * logp.exp();
        gradH = gradH.mul_(scale.unsqueeze(1)).to_type(h.dtype);
        return (f.MoveToOuterDisposeScope(), gradH.MoveToOuterDisposeScope());
    }

    private void EnsureBuffers(long rows, long width, long d, Tensor like)
    {
        bool fits = _logits is not null && _product is not null && _logits.shape[0] >= rows * width &&
                    _product.shape[0] >= rows && _product.shape[1] == d && _logits.dtype == like.dtype &&
                    _logits.device.ToString() == like.device.ToString();
        if (fits)
            return;
        long capacity = Math.Max(rows, _product?.shape[0] ?? 0);
        Dispose();
        _logits = empty(capacity * width, dtype: like.dtype, device: like.device).DetachFromDisposeScope();
        _product = empty(capacity, d, dtype: like.dtype, device: like.device).DetachFromDisposeScope();
    }

    public void Dispose()
    {
        _logits?.Dispose();
        _product?.Dispose();
        _logits = _product = null;
    }
}
