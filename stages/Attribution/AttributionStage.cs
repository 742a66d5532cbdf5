using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Records;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Attribution;

/// <summary>
/// The device stage as a plain class: turns tokenized queries into attribution queries (first-token or teacher-forced
/// all-token targets), keeps only those the model answers correctly when <c>localize: correct</c> (the gold first
/// token is the top-1 prediction, DESIGN §2), and runs integrated gradients with out-of-memory halving.
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
    private readonly Func<IReadOnlyList<AttributionQuery>, IBaselineProvider?> _baselines;

    public AttributionStage(TransformerLM model, AttributionOptions settings, bool allTokens, bool onlyCorrect,
                            int padId, int rowBudget, KnSelectionStage selection,
                            Func<IReadOnlyList<AttributionQuery>, IBaselineProvider?>? baselines = null)
    {
        _model = model;
        Selection = selection;
        _ig = new IntegratedGradients(model, settings, padId);
        _allTokens = allTokens;
        _onlyCorrect = onlyCorrect;
        _padId = padId;
        _oom = new BatchPacker(Math.Max(1, rowBudget));
        _baselines = baselines ?? (_ => null);
    }

    public IntegratedGradients Engine => _ig;

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
    /// Attributes a batch; returns the attributed queries in input order and how many were not localized.
    /// </summary>
    public (List<(TokenizedQueryRecord Query, QueryAttribution Result)> Attributed, int NotLocalized) Run(
        IReadOnlyList<TokenizedQueryRecord> batch)
    {
        if (batch.Count == 0)
            return ([], 0);
        var queries = batch.Select(ToQuery).ToList();
        var keep = _onlyCorrect ? Correct(queries) : Enumerable.Repeat(true, queries.Count).ToArray();
        var chosen = Enumerable.Range(0, batch.Count).Where(i => keep[i]).ToList();
        var results = _oom.RunWithOomRetry<AttributionQuery, QueryAttribution>(chosen.Select(i => queries[i]).ToList(),
            qs => _ig.Run(qs, _baselines(qs)));
        return (chosen.Select((i, k) => (batch[i], results[k])).ToList(), batch.Count - chosen.Count);
    }

    /// <summary>One no-grad pass: is the first gold token the argmax at the first target position?</summary>
    private bool[] Correct(IReadOnlyList<AttributionQuery> qs)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var device = _model.HeadWeight.device;
        var inputs = ForwardInputs.FromRows(qs.Select(q => q.InputIds).ToList(), _padId, device,
            _model.IsCausal || qs.All(q => q.TokenTypeIds is null)
                ? null
                : qs.Select(q => q.TokenTypeIds ?? new int[q.InputIds.Length]).ToList());
        var pos = tensor(qs.Select(q => (long)q.TargetPositions[0]).ToArray(), device: device);
        var top = _model.Logits(inputs, pos).argmax(1).cpu().data<long>().ToArray();
        return qs.Select((q, i) => top[i] == q.TargetIds[0]).ToArray();
    }

    public void Dispose() => _ig.Dispose();
}
