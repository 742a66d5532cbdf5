using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Records;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Attribution;

/// <summary>
/// The device stage as a plain class: turns tokenized queries into attribution queries (first-token or teacher-forced
/// all-token targets), keeps only those the model answers correctly when <c>localize: correct</c> (the gold first
/// token is the top-1 prediction; docs/architecture.md, Definitions), and runs integrated gradients with out-of-memory
/// halving, once per method (<c>attribution.methods</c>). The methods run one after the other on the same queries,
/// each in device calls of the batch alone: a method's calls are then the same whichever other methods the run lists,
/// so its records equal those of a run of that method alone, to the bit, and resume and shards stay byte-identical.
/// <see cref="Selection"/> turns its results into the records the run keeps; the graph calls it on the writer's
/// side, so the device thread only computes.
/// </summary>
public sealed class AttributionStage : IDisposable
{
    private readonly TransformerLM _model;
    private readonly IntegratedGradients _ig;
    private readonly bool _allTokens;
    private readonly bool _onlyCorrect;
    private readonly int _padId;
    private readonly BatchPacker _oom;
    private readonly IReadOnlyList<(AttributionMethod Method, Func<IReadOnlyList<AttributionQuery>, IBaselineProvider?>
        Baselines)> _methods;
    private readonly Func<int, string> _tokenText;
    private readonly AttributionOptions _settings;

    public AttributionStage(TransformerLM model, AttributionOptions settings, bool allTokens, bool onlyCorrect,
                            int padId, int rowBudget, KnSelectionStage selection,
                            IReadOnlyList<(AttributionMethod Method,
                                Func<IReadOnlyList<AttributionQuery>, IBaselineProvider?> Baselines)>? methods = null,
                            Func<int, string>? tokenText = null)
    {
        _tokenText = tokenText ?? (id => id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _settings = settings;
        _model = model;
        Selection = selection;
        _ig = new IntegratedGradients(model, settings, padId);
        _allTokens = allTokens;
        _onlyCorrect = onlyCorrect;
        _padId = padId;
        _oom = new BatchPacker(Math.Max(1, rowBudget));
        _methods = methods is { Count: > 0 } ? methods : [(AttributionMethod.Dai, _ => null)];
    }

    /// <summary>The methods every localized query is attributed under, in the config's order (the first is the
    /// run's main one).</summary>
    public IReadOnlyList<AttributionMethod> Methods => _methods.Select(m => m.Method).ToList();

    public IntegratedGradients Engine => _ig;

    /// <summary>
    /// Matmul FLOPs of the batches run so far (<see cref="FlopCount"/>: the top-1 pass and each attributed query's
    /// integrated gradients at the configured steps, once per method), for the run's achieved GFLOP/s. The adaptive
    /// rule is counted at its starting steps and AMIG's baseline passes not at all, so the figure is a lower bound.
    /// </summary>
    public double Flops { get; private set; }

    /// <summary>Makes the attribution and KN-set records of what <see cref="Run"/> attributed.</summary>
    public KnSelectionStage Selection { get; }

    /// <summary>Device rows one query costs (for the batch packer).</summary>
    public int RowsPerQuery => _ig.RowsPerQuery;

    public AttributionQuery ToQuery(TokenizedQueryRecord t)
    {
        int[] targets = _allTokens ? t.TargetIds : [t.TargetIds[0]];
        if (_model.IsCausal)
        {
            int p = t.InputIds.Length - 1;
            // Teacher forcing: the gold object tokens (never the argmax) follow the prompt.
            var ids = _allTokens ? t.InputIds.Concat(t.TargetIds[..^1]).ToArray() : t.InputIds;
            return new AttributionQuery(t.QueryId, ids, null, p, Enumerable.Range(p, targets.Length).ToArray(),
                targets);
        }
        int[] positions = _allTokens ? t.PredictionPositions : [t.PredictionPositions[0]];
        return new AttributionQuery(t.QueryId, t.InputIds,
            t.TokenTypeIds.Length == t.InputIds.Length ? t.TokenTypeIds : null,
            positions[0], positions, targets);
    }

    /// <summary>
    /// Attributes a batch under every method; returns the attributed queries (method by method, each in input order),
    /// how many queries were not localized, and every query's prediction (localized or not). Which queries are
    /// localized does not depend on the method: the prediction pass runs once.
    /// </summary>
    public (List<MethodAttribution> Attributed, int NotLocalized, List<PredictionRecord> Predictions) Run(
        IReadOnlyList<TokenizedQueryRecord> batch)
    {
        if (batch.Count == 0)
            return ([], 0, []);
        var queries = batch.Select(ToQuery).ToList();
        var predictions = Predict(batch, queries);
        var chosen = Enumerable.Range(0, batch.Count).Where(i => !_onlyCorrect || predictions[i].Correct).ToList();
        var attributed = new List<MethodAttribution>(chosen.Count * _methods.Count);
        foreach (var (method, baselines) in _methods)
        {
            var results = _oom.RunWithOomRetry<AttributionQuery, QueryAttribution>(
                chosen.Select(i => queries[i]).ToList(), qs => _ig.Run(qs, baselines(qs)));
            attributed.AddRange(chosen.Select((i, k) => new MethodAttribution(batch[i], method, results[k])));
        }
        Flops += queries.Sum(q => FlopCount.Forward(_model.Config, q.InputIds.Length, headEverywhere: false))
                 + _methods.Count * chosen.Sum(i => QueryFlops(queries[i].InputIds.Length));
        return (attributed, batch.Count - chosen.Count, predictions);
    }

    /// <summary>FLOPs of one query's integrated gradients over the attributed layers.</summary>
    private double QueryFlops(int tokens)
    {
        var c = _model.Config;
        int layers = _settings.Layers.Count > 0 ? _settings.Layers.Count : _model.NumLayers, m = _settings.Steps;
        if (_settings.Algorithm == AttributionAlgorithm.Naive)
            return FlopCount.Naive(c, tokens, m, layers);
        if (_model.IsCausal)
            return FlopCount.FastCausal(c, tokens, m, layers);
        // Masked LMs' fast path reruns the whole sequence from layer l up for each of the m + 1 rows, then backward.
        double suffix = 0;
        for (int l = 0; l < layers; l++)
            suffix += (m + 1) * (c.NumLayers - l) * FlopCount.SequenceLayer(c, tokens);
        return FlopCount.Forward(c, tokens, headEverywhere: false)
               + 2 * (suffix + (m + 1) * layers * FlopCount.HeadRow(c));
    }

    /// <summary>
    /// One no-grad pass at the first target position: the top-1 token, and the gold first token's rank (logits
    /// strictly above it) and probability. Correct means the gold first token is the argmax.
    /// </summary>
    private List<PredictionRecord> Predict(IReadOnlyList<TokenizedQueryRecord> batch,
        IReadOnlyList<AttributionQuery> qs)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var device = _model.HeadWeight.device;
        var inputs = ForwardInputs.FromRows(qs.Select(q => q.InputIds).ToList(), _padId, device,
            _model.IsCausal || qs.All(q => q.TokenTypeIds is null)
                ? null
                : qs.Select(q => q.TokenTypeIds ?? new int[q.InputIds.Length]).ToList());
        var pos = tensor(qs.Select(q => (long)q.TargetPositions[0]).ToArray(), device: device);
        var logits = _model.Logits(inputs, pos).to_type(ScalarType.Float32);
        var gold = tensor(qs.Select(q => (long)q.TargetIds[0]).ToArray(), device: device).unsqueeze(1);
        var goldLogit = logits.gather(1, gold);
        var top = logits.argmax(1).cpu().data<long>().ToArray();
        var rank = logits.gt(goldLogit).sum(1).cpu().data<long>().ToArray();
        var prob = logits.log_softmax(1).gather(1, gold).exp().squeeze(1).to_type(ScalarType.Float64).cpu()
            .data<double>().ToArray();
        return batch.Select((t, i) => new PredictionRecord(t.QueryId, t.FactId, t.Relation, t.Language, t.TemplateId,
            t.Split, (int)top[i], _tokenText((int)top[i]), qs[i].TargetIds[0], (int)rank[i], prob[i],
            top[i] == qs[i].TargetIds[0])).ToList();
    }

    public void Dispose() => _ig.Dispose();
}
