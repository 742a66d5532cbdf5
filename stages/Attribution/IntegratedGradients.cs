using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Attribution;

/// <summary>
/// Knowledge attribution (Dai et al.; docs/architecture.md, Definitions):
/// attr_i = (a_i − b_i)·Σ_k w_k ∂F(b + α_k(a − b))/∂a_i for every neuron of every requested layer. Two algorithms give
/// the same numbers:
/// <list type="bullet">
/// <item><c>fast</c> (docs/architecture.md, Speed): the prompt runs once with its cache; rows (query × layer × α) then
/// start at their layer from the cached state. Causal LMs recompute only the target positions through layers l..L−1
/// against the cached keys and values; MLMs recompute the sequence from layer l up. All rows of all queries and layers
/// of a batch go through each layer together, so the device sees a few large matmuls. On a CPU the batch is split over
/// one single-threaded worker per intra-op thread (<see cref="CpuWorkers"/>); the LM head is evaluated by hand
/// (<see cref="HeadObjective"/>).</item>
/// <item><c>naive</c>: what peers do, kept as a reference inside the product: per query and layer, one full forward of
/// m copies of the prompt with the LM head over every position, then the backward.</item>
/// </list>
/// With <c>rule: adaptive</c> every (query, layer) path is an <see cref="AdaptivePath"/>: the first 5 points of every
/// path run as one batch like a fixed rule, then each round gathers the 6-point bisections that the unfinished paths
/// of the batch ask for and runs them together, in row groups that each start at their layer from the prompt's cache
/// (fast), or as the same schedule of full passes (naive). The rounds depend only on the values, never on timing.
/// Every batch runs in its own dispose scope and returns plain arrays, so memory stays flat across batches.
/// </summary>
public sealed class IntegratedGradients : IDisposable
{
    private readonly TransformerLM _model;
    private readonly AttributionOptions _options;
    private readonly bool _adaptive;
    private readonly int _headChunk;
    private readonly double[] _alphas;
    private readonly double[] _weights;
    private readonly int[] _layers;
    // One head (with its kept buffers) per CPU worker; the first also serves the naive algorithm.
    private readonly List<HeadObjective> _heads = new();
    private CpuWorkers? _workers;
    private readonly int _padId;

    /// <param name="options">The <c>attribution:</c> section; steps, rule, tolerance, max_steps, objective, layers,
    /// algorithm, cpu_workers and (for adaptive refinement rounds) batch_rows are used here.</param>
    /// <param name="headChunk">Vocabulary chunk of the LM head's matmul.</param>
    public IntegratedGradients(TransformerLM model, AttributionOptions options, int padId = 0, int headChunk = 8192)
    {
        _model = model;
        _options = options;
        _adaptive = options.Rule == IntegrationRule.Adaptive;
        _headChunk = headChunk;
        // Adaptive paths start with the same 5 points everywhere; the weights shown are those of that first panel.
        (_alphas, _weights) = _adaptive
            ? (AdaptivePath.FirstAlphas.ToArray(), AdaptivePath.FirstWeights.ToArray())
            : IgRule.Points(options.Rule, options.Steps);
        var requested = options.Layers ?? [];
        _layers = requested.Count > 0
            ? requested.Distinct().Order().ToArray()
            : Enumerable.Range(0, model.NumLayers).ToArray();
        if (_layers.Any(l => l < 0 || l >= model.NumLayers))
            throw new ArgumentOutOfRangeException(nameof(options), $"layers must lie in 0..{model.NumLayers - 1}");
        _heads.Add(new HeadObjective(model, options.Objective, headChunk));
        _padId = padId;
        // Attribution frees and reallocates many MB per layer: keep freed blocks instead of re-faulting fresh mappings.
        MallocTuning.Apply();
    }

    public IReadOnlyList<double> Alphas => _alphas;
    public IReadOnlyList<double> Weights => _weights;
    public IReadOnlyList<int> Layers => _layers;

    /// <summary>
    /// Rows one query costs on the device: (m + 1) per layer (the extra row is α = 0, which gives F(b)); for adaptive
    /// the first pass's 5 per layer (α = 0 is one of its points), as refinement rounds run inside the same call.
    /// </summary>
    public int RowsPerQuery => (_adaptive ? AdaptivePath.FirstPoints : _alphas.Length + 1) * _layers.Length;

    public IReadOnlyList<QueryAttribution> Run(IReadOnlyList<AttributionQuery> queries,
        IBaselineProvider? baselines = null)
    {
        if (queries.Count == 0)
            return [];
        foreach (var q in queries)
            Validate(q);
        using var scope = NewDisposeScope();
        return _options.Algorithm switch
        {
            AttributionAlgorithm.Fast => RunFastOnWorkers(queries, baselines),
            AttributionAlgorithm.Naive => queries.Select(q => RunNaive(q, baselines)).ToList(),
            _ => throw new ArgumentOutOfRangeException(nameof(queries), $"unknown algorithm {_options.Algorithm}"),
        };
    }

    private void Validate(AttributionQuery q)
    {
        if (q.TargetIds.Length == 0 || q.TargetIds.Length != q.TargetPositions.Length)
            throw new ArgumentException(
                $"query {q.Id}: target ids and positions must be non-empty and of equal length");
        if (q.PredictionPosition < 0 || q.PredictionPosition >= q.InputIds.Length ||
            q.TargetPositions.Any(p => p < 0 || p >= q.InputIds.Length))
            throw new ArgumentException($"query {q.Id}: positions outside the input of {q.InputIds.Length} tokens");
        if (_model.IsCausal && q.TargetPositions.Select((p, i) => p != q.PredictionPosition + i).Any(x => x))
            throw new ArgumentException($"query {q.Id}: causal targets must follow the prediction position one by one");
        if (q.TargetIds.Any(t => t < 0 || t >= _model.VocabSize))
            throw new ArgumentException($"query {q.Id}: a target id lies outside the vocabulary of {_model.VocabSize}");
    }

    private Device Device => _model.HeadWeight.device;

    // ------------------------------------------------------------------------------------------------ fast

    /// <summary>
    /// On a CPU the queries are split over <see cref="AttributionOptions.CpuWorkers"/> single-threaded workers (see
    /// <see cref="CpuWorkers"/>), so the numbers depend on the configuration and not on the machine's core count;
    /// elsewhere one batch runs as it is. Adaptive refinement runs inside each worker on its own slice: the slice is
    /// a function of the batch and cpu_workers, and the worker keeps its slice's prompt cache for every round.
    /// </summary>
    private List<QueryAttribution> RunFastOnWorkers(IReadOnlyList<AttributionQuery> qs, IBaselineProvider? baselines)
    {
        if (Device.type != DeviceType.CPU)
            return RunFast(qs, baselines, _heads[0]);
        int workers = _options.CpuWorkers;
        _workers ??= new CpuWorkers(workers);
        while (_heads.Count < workers)
            _heads.Add(new HeadObjective(_model, _options.Objective, _headChunk));
        var provider = baselines is null ? null : new PrefetchedBaselines(qs, _layers, baselines);
        // One libtorch thread per worker, whatever the machine: a kernel's float sums change with its thread count
        // (measured: 2 threads per worker instead of 1 moved attributions in the 7th digit).
        return _workers.Map(qs, (w, slice) => RunFast(slice, provider, _heads[w]), threadsEach: 1);
    }

    /// <summary>A batch's prompt cache and target slots, shared by the first pass and the refinement rounds.</summary>
    private sealed record FastBatch(PrefixCache Cache, Tensor Rows, Tensor Pred, Tensor SlotPos, Tensor SlotIds,
                                    Tensor SlotW, int B, int S, long T);

    private List<QueryAttribution> RunFast(IReadOnlyList<AttributionQuery> qs, IBaselineProvider? baselines,
        HeadObjective head)
    {
        var fb = PrepareFast(qs);
        // F(a), the first target's probability and rank, from the unmodified pass.
        var (fa, probFirst, logpFirst, rankFirst) =
            Unmodified(head, fb.Cache.Hidden, fb.Rows, fb.SlotPos, fb.SlotIds, fb.SlotW);
        // Fixed rules add a row at α = 0 for F(b); the adaptive rule's first panel has α = 0 among its points.
        var rowAlphas = _adaptive ? _alphas : _alphas.Append(0.0).ToArray();
        var (fRows, grads, diffs, bases) = FirstPass(fb, qs, baselines, head, rowAlphas);
        return _adaptive
            ? RunAdaptive(fb, qs, head, fa, probFirst, logpFirst, rankFirst, fRows, grads, diffs, bases)
            : Collect(qs, fa, probFirst, logpFirst, rankFirst, fRows, grads, diffs);
    }

    private FastBatch PrepareFast(IReadOnlyList<AttributionQuery> qs)
    {
        int b = qs.Count;
        int s = qs.Max(q => q.TargetIds.Length);
        var inputs = ForwardInputs.FromRows(qs.Select(q => q.InputIds).ToList(), _padId, Device,
            _model.IsCausal || qs.All(q => q.TokenTypeIds == null)
                ? null
                : qs.Select(q => q.TokenTypeIds ?? new int[q.InputIds.Length]).ToList());
        long t = inputs.InputIds.shape[1];
        var cache = PrefixCache.Build(_model, inputs);
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
        return new FastBatch(cache, rows, pred, tensor(slotPos, [b, s], device: Device),
                             tensor(slotIds, [b, s], device: Device), tensor(slotW, [b, s], device: Device), b, s, t);
    }

    /// <summary>
    /// Every query's rows at the same α points on every layer: F per row [B, R] and per layer the gradients
    /// [B, R, F], a − b and b [B, F].
    /// </summary>
    private (Tensor FRows, IList<Tensor> Grads, List<Tensor> Diffs, List<Tensor> Bases) FirstPass(
        FastBatch fb, IReadOnlyList<AttributionQuery> qs, IBaselineProvider? baselines, HeadObjective head,
        double[] rowAlphas)
    {
        int b = fb.B, s = fb.S, m1 = rowAlphas.Length;
        long t = fb.T;
        var (cache, rows, pred) = (fb.Cache, fb.Rows, fb.Pred);
        var (slotPosT, slotIdsT, slotWT) = (fb.SlotPos, fb.SlotIds, fb.SlotW);
        var traces = cache.Layers;
        var alphaT = tensor(rowAlphas, device: Device).to_type(cache.Hidden.dtype);
        var leaves = new List<Tensor>();
        var diffs = new List<Tensor>();
        var bases = new List<Tensor>();
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
                var leaf = (baseline.unsqueeze(1) + alphaT.view(1, -1, 1) * diff.unsqueeze(1)).detach()
                    .requires_grad_(true);
                leaves.Add(leaf);
                diffs.Add(diff);
                bases.Add(baseline);
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
                    hot.index_put_(ones(b, dtype: first.dtype, device: Device), rows,
                        zeros(b, dtype: ScalarType.Int64, device: Device), pred,
                        zeros(b, dtype: ScalarType.Int64, device: Device));
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
            var fRows = (f.view(b, r, s).to_type(ScalarType.Float64) *
                slotWT.unsqueeze(1).to_type(ScalarType.Float64)).sum(2); // [B, R]
            var grads = autograd.grad([hidden], leaves, [gradH!.view_as(hidden)]);
            return (fRows, grads, diffs, bases);
        }
    }

    /// <summary>One refinement group: query <c>Query</c>'s path at layer index <c>Li</c>, at 6 α points.</summary>
    private readonly record struct Unit(int Query, int Li, double[] Alphas);

    /// <summary>
    /// The adaptive rule on one batch: every (query, layer) path gets the first pass's 5 points, then each round
    /// gathers the bisections of all unfinished paths, ordered by (layer, query, α), and runs them in device calls of
    /// at most the refinement budget's rows. Rows of different queries and layers share a call; each 6-row group
    /// starts at its layer from its prompt's cached state, so a round costs only its rows.
    /// </summary>
    private List<QueryAttribution> RunAdaptive(FastBatch fb, IReadOnlyList<AttributionQuery> qs, HeadObjective head,
        double[] fa, double[] prob, double[] logp, int[] rank, Tensor fRows, IList<Tensor> grads, List<Tensor> diffs,
        List<Tensor> bases)
    {
        int b = fb.B, nl = _layers.Length, m1 = _alphas.Length;
        var fr = fRows.data<double>().ToArray();
        long rPer = fRows.shape[1];
        var diffArr = diffs.Select(d => Rows(d.to_type(ScalarType.Float32).cpu(), b)).ToArray();
        var paths = new AdaptivePath[b, nl];
        for (int li = 0; li < nl; li++)
        {
            var g = grads[li].to_type(ScalarType.Float32).cpu();                        // [B, 5, F]
            for (int i = 0; i < b; i++)
            {
                paths[i, li] = new AdaptivePath(diffArr[li][i], fa[i], _options.Tolerance, _options.MaxSteps);
                var gi = g[i];
                paths[i, li].Accept(Enumerable.Range(0, m1).Select(k => fr[i * rPer + li * m1 + k]).ToList(),
                                    Enumerable.Range(0, m1).Select(k => gi[k].data<float>().ToArray()).ToList());
            }
        }
        int perCall = Math.Max(1, RefineRows / AdaptivePath.PointsPerBisection);
        while (true)
        {
            var units = new List<Unit>();
            for (int li = 0; li < nl; li++)
                for (int i = 0; i < b; i++)
                {
                    var pending = paths[i, li].Pending;
                    for (int k = 0; k < pending.Count; k += AdaptivePath.PointsPerBisection)
                        units.Add(new Unit(i, li, pending.Skip(k).Take(AdaptivePath.PointsPerBisection).ToArray()));
                }
            if (units.Count == 0)
                break;
            var values = new List<(double[] F, float[][] G)>(units.Count);
            for (int start = 0; start < units.Count; start += perCall)
                values.AddRange(Refine(fb, head, units.Skip(start).Take(perCall).ToList(), diffs, bases));
            // Hand each path its groups' values in the order it asked for them.
            var byPath = units.Select((u, k) => (u, k)).GroupBy(x => (x.u.Query, x.u.Li));
            foreach (var group in byPath)
            {
                var ks = group.Select(x => x.k).ToList();
                paths[group.Key.Query, group.Key.Li].Accept(ks.SelectMany(k => values[k].F).ToList(),
                                                             ks.SelectMany(k => values[k].G).ToList());
            }
        }
        var results = new List<QueryAttribution>(b);
        for (int i = 0; i < b; i++)
        {
            var layers = new List<LayerAttribution>(nl);
            for (int li = 0; li < nl; li++)
                layers.Add(AdaptiveLayer(_layers[li], paths[i, li], diffArr[li][i], fa[i]));
            results.Add(new QueryAttribution(qs[i].Id, fa[i], prob[i], logp[i], rank[i], layers));
        }
        return results;
    }

    /// <summary>
    /// Rows of one adaptive refinement call: the batch's row budget, split like the batch over the CPU workers (a
    /// setting, so the calls do not depend on the machine).
    /// </summary>
    private int RefineRows => Math.Max(AdaptivePath.PointsPerBisection,
        _options.BatchRows / (Device.type == DeviceType.CPU ? _options.CpuWorkers : 1));

    /// <summary>F and ∇F at each unit's points, units ordered by layer: rows of layer j join at layer j.</summary>
    private List<(double[] F, float[][] G)> Refine(FastBatch fb, HeadObjective head, List<Unit> units,
                                                  List<Tensor> diffs, List<Tensor> bases)
    {
        using var scope = NewDisposeScope();
        int r = AdaptivePath.PointsPerBisection, s = fb.S;
        long t = fb.T;
        var cache = fb.Cache;
        var traces = cache.Layers;
        var leaves = new List<Tensor>();
        Tensor? x = null, prompts = null;
        using var grad = enable_grad();
        for (int j = _layers[units[0].Li]; j < _model.NumLayers; j++)
        {
            if (x is not null)
                x = _model.IsCausal
                    ? cache.SlotLayer(j, x, fb.Pred.index_select(0, prompts!), fb.SlotPos.index_select(0, prompts!),
                                      prompts)
                    : cache.SequenceLayer(j, x, prompts);
            var group = units.Where(u => _layers[u.Li] == j).ToList();
            if (group.Count == 0)
                continue;
            int li = group[0].Li, u = group.Count;
            var pu = tensor(group.Select(g => (long)g.Query).ToArray(), device: Device);
            var alphaT = tensor(group.SelectMany(g => g.Alphas).ToArray(), [u, r], device: Device)
                         .to_type(cache.Hidden.dtype);
            var diff = diffs[li].index_select(0, pu);
            var leaf = (bases[li].index_select(0, pu).unsqueeze(1) + alphaT.unsqueeze(2) * diff.unsqueeze(1))
                       .detach().requires_grad_(true);                                   // [U, 6, F]
            leaves.Add(leaf);
            var predU = fb.Pred.index_select(0, pu);
            var xMidP = traces[j].XMid[pu, predU].unsqueeze(1).expand(u, r, -1);
            var first = _model.FfnOutput(j, xMidP, leaf);                                 // [U, 6, d]
            Tensor fresh;
            if (_model.IsCausal)
            {
                fresh = first.unsqueeze(2);
                if (s > 1)
                {
                    var later = traces[j].XOut[pu.unsqueeze(1), fb.SlotPos.index_select(0, pu).narrow(1, 1, s - 1)];
                    fresh = cat([fresh, later.unsqueeze(1).expand(u, r, s - 1, -1)], 2);
                }
            }
            else
            {
                var hot = zeros(u, 1, t, 1, dtype: first.dtype, device: Device);
                var zu = zeros(u, dtype: ScalarType.Int64, device: Device);
                hot.index_put_(ones(u, dtype: first.dtype, device: Device), arange(u, device: Device), zu, predU, zu);
                fresh = traces[j].XOut.index_select(0, pu).unsqueeze(1) * (1 - hot) + first.unsqueeze(2) * hot;
            }
            x = x is null ? fresh : cat([x, fresh], 0);
            prompts = prompts is null ? pu : cat([prompts, pu]);
        }
        long n = x!.shape[0];
        var slotPos = fb.SlotPos.index_select(0, prompts!);
        var slotW = fb.SlotW.index_select(0, prompts!);
        if (!_model.IsCausal)
            x = x[arange(n, device: Device).view(n, 1, 1), arange(r, device: Device).view(1, r, 1),
                  slotPos.unsqueeze(1)];
        var hidden = _model.FinalHidden(x);                                              // [U, 6, S, d]
        var ids = fb.SlotIds.index_select(0, prompts!).unsqueeze(1).expand(n, r, s).reshape(-1);
        var w = slotW.unsqueeze(1).expand(n, r, s).reshape(-1);
        var (f, gradH) = head.Evaluate(hidden.reshape(-1, hidden.shape[^1]), ids, w);
        var fRows = (f.view(n, r, s).to_type(ScalarType.Float64) * slotW.unsqueeze(1).to_type(ScalarType.Float64))
                    .sum(2);
        var grads = autograd.grad([hidden], leaves, [gradH!.view_as(hidden)]);
        var fr = fRows.cpu().data<double>().ToArray();
        var result = new List<(double[] F, float[][] G)>(units.Count);
        foreach (var g in grads)
        {
            var gc = g.to_type(ScalarType.Float32).cpu();
            for (int k = 0; k < gc.shape[0]; k++)
            {
                int unit = result.Count;
                var gk = gc[k];
                result.Add((fr.Skip(unit * r).Take(r).ToArray(),
                            Enumerable.Range(0, r).Select(p => gk[p].data<float>().ToArray()).ToArray()));
            }
        }
        return result;
    }

    private LayerAttribution AdaptiveLayer(int layer, AdaptivePath path, float[] diff, double fa)
    {
        var wg = path.WeightedGradient();
        var att = new float[diff.Length];
        for (int k = 0; k < att.Length; k++)
            att[k] = (float)(diff[k] * wg[k]);
        double sum = att.Sum(v => (double)v), fb = path.FBaseline;
        return new LayerAttribution(layer, fb, sum, sum - (fa - fb), att)
        {
            Rule = IntegrationRule.Adaptive, Points = path.Points, ToleranceMet = path.Met,
        };
    }

    private static float[][] Rows(Tensor m, int b) =>
        Enumerable.Range(0, b).Select(i => m[i].data<float>().ToArray()).ToArray();

    private bool Meets(double gap, double fa, double fb) => Math.Abs(gap) <= _options.Tolerance * Math.Abs(fa - fb);

    private (double[] FA, double[] Prob, double[] LogProb, int[] Rank) Unmodified(HeadObjective head,
        Tensor finalHidden, Tensor rows, Tensor slotPos, Tensor slotIds, Tensor slotW)
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
                    throw new ArgumentException(
                        $"query {qs[i].Id}: baseline of layer {layer} has {v.Length} values, expected {f}");
                Array.Copy(v, 0, flat, i * f, f);
            }
        return tensor(flat, [qs.Count, f], device: Device).to_type(a.dtype);
    }

    private List<QueryAttribution> Collect(IReadOnlyList<AttributionQuery> qs, double[] fa, double[] prob,
                                           double[] logp, int[] rank,
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
                double gap = sum - (fa[i] - fb);
                layers.Add(new LayerAttribution(_layers[li], fb, sum, gap, att)
                {
                    Rule = _options.Rule, Points = m, ToleranceMet = Meets(gap, fa[i], fb),
                });
            }
            results.Add(new QueryAttribution(qs[i].Id, fa[i], prob[i], logp[i], rank[i], layers));
        }
        return results;
    }

    // ------------------------------------------------------------------------------------------------ naive

    private QueryAttribution RunNaive(AttributionQuery q, IBaselineProvider? baselines)
    {
        var one = ForwardInputs.FromRows([q.InputIds], _padId, Device,
            q.TokenTypeIds is null || _model.IsCausal ? null : [q.TokenTypeIds]);
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
            var lp = logits.index_select(0, tpos).to_type(ScalarType.Float64).log_softmax(-1)
                .gather(1, targets.unsqueeze(1)).squeeze(1);
            fa = (_heads[0].LogProb ? lp : lp.exp()).mean().item<double>();
            logp = lp[0].item<double>();
            prob = Math.Exp(logp);
            var first = logits[q.TargetPositions[0]];
            rank = (int)first.gt(first[q.TargetIds[0]]).sum().item<long>();
        }
        var layers = new List<LayerAttribution>();
        foreach (int l in _layers)
        {
            // One scope per layer: the m copies' logits over every position are large and must not accumulate.
            using var layerScope = NewDisposeScope();
            var a = capture.Activations[l][0];
            var baseline = baselines?.Baseline(q, l) is { } bv
                ? tensor(bv, device: Device).to_type(a.dtype)
                : zeros_like(a);
            var diff = a - baseline;
            (Tensor F, Tensor G) Rows(double[] alphas) =>
                NaiveRows(one, predT, targets, tpos, l, baseline, diff, alphas);
            if (_adaptive)
            {
                // The same schedule as the fast algorithm, one full pass per round and path.
                var path = new AdaptivePath(diff.to_type(ScalarType.Float32).cpu().data<float>().ToArray(), fa,
                                            _options.Tolerance, _options.MaxSteps);
                while (!path.Done)
                {
                    using var round = NewDisposeScope();
                    var (fr, gr) = Rows(path.Pending.ToArray());
                    var gc = gr.to_type(ScalarType.Float32).cpu();
                    path.Accept(fr.to_type(ScalarType.Float64).cpu().data<double>().ToArray(),
                                Enumerable.Range(0, (int)gc.shape[0])
                                          .Select(k => gc[k].data<float>().ToArray()).ToList());
                }
                layers.Add(AdaptiveLayer(l, path, diff.to_type(ScalarType.Float32).cpu().data<float>().ToArray(), fa));
                continue;
            }
            var (f, g) = Rows(_alphas.Append(0.0).ToArray());
            var gm = g.to_type(ScalarType.Float64).narrow(0, 0, _alphas.Length);
            var attr = (diff.to_type(ScalarType.Float64) * (gm * tensor(_weights, device: Device).unsqueeze(1)).sum(0L))
                       .to_type(ScalarType.Float32).cpu().data<float>().ToArray();
            double fb = f[^1].item<float>();
            double sum = attr.Sum(x => (double)x), gap = sum - (fa - fb);
            layers.Add(new LayerAttribution(l, fb, sum, gap, attr)
            {
                Rule = _options.Rule, Points = _alphas.Length, ToleranceMet = Meets(gap, fa, fb),
            });
        }
        return new QueryAttribution(q.Id, fa, prob, logp, rank, layers);
    }

    /// <summary>
    /// F [n] and ∇F [n, F] at n points of layer <paramref name="l"/>'s path: one full forward of n copies of the
    /// prompt with the activation at the prediction position replaced, the LM head over every position (as a Hugging
    /// Face model computes it), then the backward.
    /// </summary>
    private (Tensor F, Tensor G) NaiveRows(ForwardInputs one, Tensor predT, Tensor targets, Tensor tpos, int l,
                                           Tensor baseline, Tensor diff, double[] alphas)
    {
        long n = alphas.Length;
        var copies = new ForwardInputs
        {
            InputIds = one.InputIds.expand(new long[] { n, -1 }),
            AttentionMask = one.AttentionMask!.expand(new long[] { n, -1 }),
            TokenTypeIds = one.TokenTypeIds?.expand(new long[] { n, -1 }),
        };
        var alphaT = tensor(alphas, device: Device);
        using var _ = enable_grad();
        var leaf = (baseline.unsqueeze(0) + alphaT.to_type(diff.dtype).unsqueeze(1) * diff.unsqueeze(0))
                   .detach().requires_grad_(true);
        var replace = new ActivationReplace(l, predT.expand(new long[] { n }), leaf);
        var logits = _model.Logits(copies, interceptor: replace);                                // [n, T, V]
        var lp = logits.index_select(1, tpos).log_softmax(-1)
                       .gather(2, targets.view(1, -1, 1).expand(new long[] { n, -1, 1 })).squeeze(2);
        var f = (_heads[0].LogProb ? lp : lp.exp()).mean([1L]);                                  // [n]
        var g = autograd.grad([f.sum()], [leaf])[0];
        return (f.detach(), g);
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
