using static TorchSharp.torch;
using KnPipeline.Stages.Models.Core;

namespace KnPipeline.Stages.Attribution;

/// <summary>
/// F = p_t (or log p_t) of target tokens and its gradient with respect to the final hidden state, computed by hand
/// outside autograd. The LM head is the largest matmul of attribution (a full softmax over the vocabulary for every
/// α row, forward and backward), so it runs as a few large matmuls over vocabulary chunks into buffers that are kept
/// between batches: each fresh [rows × vocabulary] output would otherwise be a new mapping that is page-faulted in.
/// dF/dh = p_t·(W_t − softmax·W) for prob, W_t − softmax·W for logprob.
/// </summary>
public sealed class HeadObjective(TransformerLM model, string objective, int chunk = 8192) : IDisposable
{
    private readonly List<Tensor> _buffers = new();
    private long _capacityRows;

    public bool LogProb { get; } = objective switch
    {
        "prob" => false,
        "logprob" => true,
        _ => throw new ArgumentOutOfRangeException(nameof(objective), $"unknown objective '{objective}' (prob or logprob)"),
    };

    /// <summary>
    /// F for each row of <paramref name="hidden"/> [N, d] and, when <paramref name="rowWeights"/> is given, the
    /// gradient of Σ_r weight_r·F_r with respect to hidden.
    /// </summary>
    public (Tensor F, Tensor? GradHidden) Evaluate(Tensor hidden, Tensor targets, Tensor? rowWeights)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var h = hidden.detach();
        long n = h.shape[0];
        var w = model.HeadWeight;
        var bias = model.HeadBias;
        long vocab = w.shape[0];
        var chunks = Chunks(vocab);
        EnsureBuffers(n, chunks, h);
        var views = new Tensor[chunks.Count];
        Tensor? runMax = null;
        for (int c = 0; c < chunks.Count; c++)
        {
            var (start, len) = chunks[c];
            var v = _buffers[c].narrow(0, 0, n);
            v.addmm_(h, w.narrow(0, start, len).t(), beta: 0, alpha: 1);
            if (bias is not null)
                v.add_(bias.narrow(0, start, len));
            views[c] = v;
            var m = v.amax([1]);
            runMax = runMax is null ? m : maximum(runMax, m);
        }
        // logsumexp over chunks, stable against the running maximum.
        var sumExp = zeros_like(runMax!);
        foreach (var v in views)
            sumExp.add_((v - runMax!.unsqueeze(1)).exp_().sum(1));
        var lse = runMax!.add(sumExp.log_());
        var targetLogit = (h * w.index_select(0, targets)).sum(1);
        if (bias is not null)
            targetLogit = targetLogit + bias.index_select(0, targets);
        var logp = targetLogit - lse;
        var f = LogProb ? logp : logp.exp();
        if (rowWeights is null)
            return (f.MoveToOuterDisposeScope(), null);
        // softmax · W, accumulated chunk by chunk in place of the logits.
        var pw = zeros_like(h);
        for (int c = 0; c < chunks.Count; c++)
        {
            var (start, len) = chunks[c];
            var p = views[c].sub_(lse.unsqueeze(1)).exp_();
            pw.addmm_(p, w.narrow(0, start, len), beta: 1, alpha: 1);
        }
        var grad = w.index_select(0, targets) - pw;
        var scale = LogProb ? rowWeights : rowWeights * logp.exp();
        grad.mul_(scale.unsqueeze(1).to_type(grad.dtype));
        return (f.MoveToOuterDisposeScope(), grad.MoveToOuterDisposeScope());
    }

    private List<(long Start, long Len)> Chunks(long vocab)
    {
        var list = new List<(long, long)>();
        for (long s = 0; s < vocab; s += chunk)
            list.Add((s, Math.Min(chunk, vocab - s)));
        return list;
    }

    private void EnsureBuffers(long rows, List<(long Start, long Len)> chunks, Tensor like)
    {
        if (rows <= _capacityRows && _buffers.Count == chunks.Count && _buffers[0].dtype == like.dtype && _buffers[0].device.ToString() == like.device.ToString())
            return;
        foreach (var b in _buffers)
            b.Dispose();
        _buffers.Clear();
        _capacityRows = Math.Max(rows, _capacityRows);
        foreach (var (_, len) in chunks)
            _buffers.Add(empty(_capacityRows, len, dtype: like.dtype, device: like.device).DetachFromDisposeScope());
    }

    public void Dispose()
    {
        foreach (var b in _buffers)
            b.Dispose();
        _buffers.Clear();
    }
}
