using KnPipeline.Stages.Models.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Attribution;

/// <summary>
/// Knowledge attribution (Dai et al.; DESIGN §2): attr_i = (a_i − b_i)·Σ_k w_k ∂F(b + α_k(a − b))/∂a_i for every
/// neuron of every requested layer. Two algorithms give the same numbers:
/// <list type="bullet">
/// <item><c>fast</c> (DESIGN §3): the prompt runs once with its cache; rows (query × layer × α) then start at their
/// layer from the cached state. Causal LMs recompute only the target positions through layers l..L−1 against the
/// cached keys and values; MLMs recompute the sequence from layer l up. All rows of all queries and layers of a batch
/// go through each layer together, so the device sees a few large matmuls. On a CPU the batch is split over one
/// single-threaded worker per intra-op thread (<see cref="CpuWorkers"/>); the LM head is evaluated by hand
/// (<see cref="HeadObjective"/>).</item>
/// <item><c>naive</c>: what peers do, kept as a reference inside the product: per query and layer, one full forward of
/// m copies of the prompt with the LM head over every position, then the backward.</item>
/// </list>
/// Every batch runs in its own dispose scope and returns plain arrays, so memory stays flat across batches.
/// </summary>
public sealed class IntegratedGradients : IDisposable
{
    private readonly TransformerLM _model;
    private readonly AttributionSettings _settings;
    private readonly double[] _alphas;
    private readonly double[] _weights;
    private readonly int[] _layers;
    // One head (with its kept buffers) per CPU worker; the first also serves the naive algorithm.
    private readonly List<HeadObjective> _heads = new();
    private CpuWorkers? _workers;
    private readonly int _padId;

    public IntegratedGradients(TransformerLM model, AttributionSettings settings, int padId = 0)
    {
        _model = model;
        _settings = settings;
        (_alphas, _weights) = IgRule.Points(settings.Rule, settings.Steps);
        _layers = settings.Layers is { Length: > 0 } ls ? ls.Distinct().Order().ToArray() : Enumerable.Range(0, model.NumLayers).ToArray();
        if (_layers.Any(l => l < 0 || l >= model.NumLayers))
            throw new ArgumentOutOfRangeException(nameof(settings), $"layers must lie in 0..{model.NumLayers - 1}");
        _heads.Add(new HeadObjective(model, settings.Objective, settings.HeadChunk));
        _padId = padId;
        // Attribution frees and reallocates many MB per layer: keep freed blocks instead of re-faulting fresh mappings.
        MallocTuning.Apply();
    }

    public IReadOnlyList<double> Alphas => _alphas;
    public IReadOnlyList<double> Weights => _weights;
    public IReadOnlyList<int> Layers => _layers;

    /// <summary>Rows one query costs on the device: (m + 1) per layer (the extra row is α = 0, which gives F(b)).</summary>
    public int RowsPerQuery => (_alphas.Length + 1) * _layers.Length;

    public IReadOnlyList<QueryAttribution> Run(IReadOnlyList<AttributionQuery> queries, IBaselineProvider? baselines = null)
    {
        if (queries.Count == 0)
            return [];
        foreach (var q in queries)
            Validate(q);
        using var scope = NewDisposeScope();
        return _settings.Algorithm switch
        {
            "fast" => RunFastOnWorkers(queries, baselines),
            "naive" => queries.Select(q => RunNaive(q, baselines)).ToList(),
            _ => throw new ArgumentOutOfRangeException(nameof(_settings.Algorithm), $"unknown algorithm '{_settings.Algorithm}' (fast or naive)"),
        };
    }

    private void Validate(AttributionQuery q)
    {
        if (q.TargetIds.Length == 0 || q.TargetIds.Length != q.TargetPositions.Length)
            throw new ArgumentException($"query {q.Id}: target ids and positions must be non-empty and of equal length");
        if (q.PredictionPosition < 0 || q.PredictionPosition >= q.InputIds.Length || q.TargetPositions.Any(p => p < 0 || p >= q.InputIds.Length))
            throw new ArgumentException($"query {q.Id}: positions outside the input of {q.InputIds.Length} tokens");
        if (_model.IsCausal && q.TargetPositions.Select((p, i) => p != q.PredictionPosition + i).Any(x => x))
            throw new ArgumentException($"query {q.Id}: causal targets must follow the prediction position one by one");
        if (q.TargetIds.Any(t => t < 0 || t >= _model.VocabSize))
            throw new ArgumentException($"query {q.Id}: a target id lies outside the vocabulary of {_model.VocabSize}");
    }

    private Device Device => _model.HeadWeight.device;

    // ------------------------------------------------------------------------------------------------ fast

    /// <summary>
    /// On a CPU the queries are split over <see cref="AttributionSettings.CpuWorkers"/> single-threaded workers (see
    /// <see cref="CpuWorkers"/>), so the numbers depend on the configuration and not on the machine's core count;
    /// elsewhere one batch runs as it is.
    /// </summary>
    private List<QueryAttribution> RunFastOnWorkers(IReadOnlyList<AttributionQuery> qs, IBaselineProvider? baselines)
    {
        if (Device.type != DeviceType.CPU)
            return RunFast(qs, baselines, _heads[0]);
        int workers = _settings.CpuWorkers;
        _workers ??= new CpuWorkers(workers);
        while (_heads.Count < workers)
            _heads.Add(new HeadObjective(_model, _settings.Objective, _settings.HeadChunk));
        var provider = baselines is null ? null : new PrefetchedBaselines(qs, _layers, baselines);
        // One libtorch thread per worker, whatever the machine: a kernel's float sums change with its thread count
        // (measured: 2 threads per worker instead of 1 moved attributions in the 7th digit).
        return _workers.Map(qs, (w, slice) => RunFast(slice, provider, _heads[w]), threadsEach: 1);
    }

    private List<QueryAttribution> RunFast(IReadOnlyList<AttributionQuery> qs, IBaselineProvider? baselines, HeadObjective head)
    {
        int b = qs.Count, m1 = _alphas.Length + 1;
        int s = qs.Max(q => q.TargetIds.Length);
        var inputs = ForwardInputs.FromRows(qs.Select(q => q.InputIds).ToList(), _padId, Device,
            _model.IsCausal || qs.All(q => q.TokenTypeIds == null) ? null : qs.Select(q => q.TokenTypeIds ?? new int[q.InputIds.Length]).ToList());
        long t = inputs.InputIds.shape[1];
        var cache = PrefixCache.Build(_model, inputs);
        var traces = cache.Layers;
        var finalHidden = cache.Hidden;
        var rows = arange(b, device: Device);
        var pred = tensor(qs.Select(q => (long)q.PredictionPosition).ToArray(), device: Device);
        // Target slots [B, S]: positions, ids and weights (1/S_b for real slots, 0 for padding slots).
        var slotPos = new long[b * s];
        var slotIds = new long[b * s];
        var slotW = new float[b * s];
        for (int i = 0; i < b; i++)
            for (int j = 0; j < s; j++)
            {
                bool real = j < qs[i].TargetIds.Length;
                slotPos[i * s + j] = real ? qs[i].TargetPositions[j] : qs[i].TargetPositions[0];
                slotIds[i * s + j] = real ? qs[i].TargetIds[j] : 0;
                slotW[i * s + j] = real ? 1f / qs[i].TargetIds.Length : 0f;
            }
        var slotPosT = tensor(slotPos, [b, s], device: Device);
        var slotIdsT = tensor(slotIds, [b, s], device: Device);
        var slotWT = tensor(slotW, [b, s], device: Device);

        // F(a), the first target's probability and rank, from the unmodified pass.
        var (fa, probFirst, logpFirst, rankFirst) = Unmodified(head, finalHidden, rows, slotPosT, slotIdsT, slotWT);

        var alphaT = tensor(_alphas.Append(0.0).ToArray(), device: Device).to_type(finalHidden.dtype);
        var leaves = new List<Tensor>();
        var diffs = new List<Tensor>();
        Tensor? x = null;
        using (enable_grad())
        {
            for (int j = _layers[0]; j < _model.NumLayers; j++)
            {
                if (x is not null)
                    x = _model.IsCausal ? cache.SlotLayer(j, x, pred, slotPosT) : cache.SequenceLayer(j, x);
                if (!_layers.Contains(j))
                    continue;
                var a = traces[j].Activation[rows, pred];                               // [B, F]
                var baseline = BaselineTensor(qs, baselines, j, a);                     // [B, F]
                var diff = a - baseline;
                var leaf = (baseline.unsqueeze(1) + alphaT.view(1, -1, 1) * diff.unsqueeze(1)).detach().requires_grad_(true);
                leaves.Add(leaf);
                diffs.Add(diff);
                var xMidP = traces[j].XMid[rows, pred].unsqueeze(1).expand(b, m1, -1);
                var first = _model.FfnOutput(j, xMidP, leaf);                             // [B, m+1, d]
                Tensor fresh;
                if (_model.IsCausal)
                {
                    fresh = first.unsqueeze(2);
                    if (s > 1)
                    {
                        var later = traces[j].XOut[rows.unsqueeze(1), slotPosT.narrow(1, 1, s - 1)];   // [B, S-1, d]
                        fresh = cat([fresh, later.unsqueeze(1).expand(b, m1, s - 1, -1)], 2);
                    }
                }
                else
                {
                    var hot = zeros(b, 1, t, 1, dtype: first.dtype, device: Device);
                    hot.index_put_(ones(b, dtype: first.dtype, device: Device), rows, zeros(b, dtype: ScalarType.Int64, device: Device), pred, zeros(b, dtype: ScalarType.Int64, device: Device));
                    var baseRows = traces[j].XOut.unsqueeze(1);
                    fresh = baseRows * (1 - hot) + first.unsqueeze(2) * hot;          // [B, m+1, T, d]
                }
                x = x is null ? fresh : cat([x, fresh], 1);
            }
            // x: causal [B, R, S, d]; MLM [B, R, T, d] → gather the target slots.
            long r = x!.shape[1];
            if (!_model.IsCausal)
                x = x[rows.view(b, 1, 1), arange(r, device: Device).view(1, r, 1), slotPosT.unsqueeze(1)];
            var hidden = _model.FinalHidden(x);                                          // [B, R, S, d]
            var flat = hidden.reshape(-1, hidden.shape[^1]);
            var ids = slotIdsT.unsqueeze(1).expand(b, r, s).reshape(-1);
            var w = slotWT.unsqueeze(1).expand(b, r, s).reshape(-1);
            var (f, gradH) = head.Evaluate(flat, ids, w);
            var fRows = (f.view(b, r, s).to_type(ScalarType.Float64) * slotWT.unsqueeze(1).to_type(ScalarType.Float64)).sum(2); // [B, R]
            var grads = autograd.grad([hidden], leaves, [gradH!.view_as(hidden)]);
            return Collect(qs, fa, probFirst, logpFirst, rankFirst, fRows, grads, diffs);
        }
    }

    private (double[] FA, double[] Prob, double[] LogProb, int[] Rank) Unmodified(HeadObjective head, Tensor finalHidden, Tensor rows, Tensor slotPos, Tensor slotIds, Tensor slotW)
    {
        using var _ = no_grad();
        long b = slotPos.shape[0], s = slotPos.shape[1];
        var h = _model.FinalHidden(finalHidden[rows.unsqueeze(1), slotPos]);             // [B, S, d]
        var (f, _) = head.Evaluate(h.reshape(-1, h.shape[^1]), slotIds.reshape(-1), null);
        var fa = (f.view(b, s).to_type(ScalarType.Float64) * slotW.to_type(ScalarType.Float64)).sum(1);
        var logits = _model.Head(h.select(1, 0));                                        // [B, V]
        var first = slotIds.select(1, 0);
        var targetLogit = logits.gather(1, first.unsqueeze(1));
        var rank = logits.gt(targetLogit).sum(1);
        var logp = logits.to_type(ScalarType.Float64).log_softmax(1).gather(1, first.unsqueeze(1)).squeeze(1);
        return (fa.data<double>().ToArray(), logp.exp().data<double>().ToArray(), logp.data<double>().ToArray(),
                rank.data<long>().Select(x => (int)x).ToArray());
    }

    private Tensor BaselineTensor(IReadOnlyList<AttributionQuery> qs, IBaselineProvider? baselines, int layer, Tensor a)
    {
        if (baselines is null)
            return zeros_like(a);
        var rowsB = qs.Select(q => baselines.Baseline(q, layer)).ToList();
        if (rowsB.All(x => x is null))
            return zeros_like(a);
        long f = a.shape[1];
        var flat = new float[qs.Count * f];
        for (int i = 0; i < qs.Count; i++)
            if (rowsB[i] is { } v)
            {
                if (v.Length != f)
                    throw new ArgumentException($"query {qs[i].Id}: baseline of layer {layer} has {v.Length} values, expected {f}");
                Array.Copy(v, 0, flat, i * f, f);
            }
        return tensor(flat, [qs.Count, f], device: Device).to_type(a.dtype);
    }

    private List<QueryAttribution> Collect(IReadOnlyList<AttributionQuery> qs, double[] fa, double[] prob, double[] logp, int[] rank,
                                           Tensor fRows, IList<Tensor> grads, List<Tensor> diffs)
    {
        int m = _alphas.Length, m1 = m + 1;
        var w = tensor(_weights, device: Device).view(1, -1, 1);
        var fr = fRows.data<double>().ToArray();
        long rPer = fRows.shape[1];
        var perLayer = new float[_layers.Length][][];
        for (int li = 0; li < _layers.Length; li++)
        {
            var g = grads[li].to_type(ScalarType.Float64).narrow(1, 0, m);               // [B, m, F]
            var attr = (diffs[li].to_type(ScalarType.Float64) * (g * w).sum(1)).to_type(ScalarType.Float32).cpu();
            perLayer[li] = Enumerable.Range(0, qs.Count).Select(i => attr[i].data<float>().ToArray()).ToArray();
        }
        var results = new List<QueryAttribution>(qs.Count);
        for (int i = 0; i < qs.Count; i++)
        {
            var layers = new List<LayerAttribution>(_layers.Length);
            for (int li = 0; li < _layers.Length; li++)
            {
                double fb = fr[i * rPer + li * m1 + m];
                var att = perLayer[li][i];
                double sum = att.Sum(x => (double)x);
                layers.Add(new LayerAttribution(_layers[li], fb, sum, sum - (fa[i] - fb), att));
            }
            results.Add(new QueryAttribution(qs[i].Id, fa[i], prob[i], logp[i], rank[i], layers));
        }
        return results;
    }

    // ------------------------------------------------------------------------------------------------ naive

    private QueryAttribution RunNaive(AttributionQuery q, IBaselineProvider? baselines)
    {
        int m1 = _alphas.Length + 1;
        var one = ForwardInputs.FromRows([q.InputIds], _padId, Device, q.TokenTypeIds is null || _model.IsCausal ? null : [q.TokenTypeIds]);
        var predT = tensor(new long[] { q.PredictionPosition }, device: Device);
        var targets = tensor(q.TargetIds.Select(x => (long)x).ToArray(), device: Device);
        var tpos = tensor(q.TargetPositions.Select(x => (long)x).ToArray(), device: Device);
        var capture = new ActivationCapture(predT, _layers);
        double fa;
        double prob, logp;
        int rank;
        using (no_grad())
        {
            var logits = _model.Logits(one, interceptor: capture)[0];                    // [T, V]
            var lp = logits.index_select(0, tpos).to_type(ScalarType.Float64).log_softmax(-1).gather(1, targets.unsqueeze(1)).squeeze(1);
            fa = (_heads[0].LogProb ? lp : lp.exp()).mean().item<double>();
            logp = lp[0].item<double>();
            prob = Math.Exp(logp);
            var first = logits[q.TargetPositions[0]];
            rank = (int)first.gt(first[q.TargetIds[0]]).sum().item<long>();
        }
        var copies = new ForwardInputs
        {
            InputIds = one.InputIds.expand(new long[] { m1, -1 }),
            AttentionMask = one.AttentionMask!.expand(new long[] { m1, -1 }),
            TokenTypeIds = one.TokenTypeIds?.expand(new long[] { m1, -1 }),
        };
        var alphaT = tensor(_alphas.Append(0.0).ToArray(), device: Device);
        var layers = new List<LayerAttribution>();
        foreach (int l in _layers)
        {
            // One scope per layer: the m copies' logits over every position are large and must not accumulate.
            using var layerScope = NewDisposeScope();
            var a = capture.Activations[l][0];
            var baseline = baselines?.Baseline(q, l) is { } bv ? tensor(bv, device: Device).to_type(a.dtype) : zeros_like(a);
            var diff = a - baseline;
            using var _ = enable_grad();
            var leaf = (baseline.unsqueeze(0) + alphaT.to_type(a.dtype).unsqueeze(1) * diff.unsqueeze(0)).detach().requires_grad_(true);
            // The LM head over every position, as a Hugging Face model computes it, then F at the targets.
            var logits = _model.Logits(copies, interceptor: new ActivationReplace(l, predT.expand(new long[] { m1 }), leaf)); // [m+1, T, V]
            var lp = logits.index_select(1, tpos).log_softmax(-1).gather(2, targets.view(1, -1, 1).expand(new long[] { m1, -1, 1 })).squeeze(2);
            var f = (_heads[0].LogProb ? lp : lp.exp()).mean([1L]);                              // [m+1]
            var g = autograd.grad([f.sum()], [leaf])[0].to_type(ScalarType.Float64).narrow(0, 0, _alphas.Length);
            var attr = (diff.to_type(ScalarType.Float64) * (g * tensor(_weights, device: Device).unsqueeze(1)).sum(0L))
                       .to_type(ScalarType.Float32).cpu().data<float>().ToArray();
            double fb = f[^1].item<float>();
            double sum = attr.Sum(x => (double)x);
            layers.Add(new LayerAttribution(l, fb, sum, sum - (fa - fb), attr));
        }
        return new QueryAttribution(q.Id, fa, prob, logp, rank, layers);
    }

    public void Dispose()
    {
        _workers?.Dispose();
        _workers = null;
        foreach (var h in _heads)
            h.Dispose();
        _heads.Clear();
    }
}
