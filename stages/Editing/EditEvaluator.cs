using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Records;
using static TorchSharp.torch;

namespace KnPipeline.Stages.Editing;

/// <summary>What the model answers on one query: its top-1 token, the gold first token's rank (0 = correct) and
/// probability, and the rank and probability of a requested target (−1 and NaN when none was requested).</summary>
public readonly record struct QueryPrediction(int Top1, int GoldRank, double GoldProb, int TargetRank,
    double TargetProb)
{
    public bool Correct => GoldRank == 0;
}

/// <summary>The queries an edit is scored on: the edited one, its other training rephrasings, its held-out
/// rephrasings, its queries in other languages, and the fixed probe set of unrelated facts.</summary>
public sealed record EditProbe(
    TokenizedQueryRecord Edited,
    IReadOnlyList<TokenizedQueryRecord> Train,
    IReadOnlyList<TokenizedQueryRecord> HeldOut,
    IReadOnlyList<TokenizedQueryRecord> Languages,
    IReadOnlyList<TokenizedQueryRecord> Unrelated)
{
    public IEnumerable<TokenizedQueryRecord> All => new[] { Edited }.Concat(Train).Concat(HeldOut).Concat(Languages)
        .Concat(Unrelated);
}

/// <summary>One <see cref="EditProbe"/>'s predictions, group by group in the probe's order.</summary>
public sealed record ProbePredictions(
    QueryPrediction Edited,
    QueryPrediction[] Train,
    QueryPrediction[] HeldOut,
    QueryPrediction[] Languages,
    QueryPrediction[] Unrelated);

/// <summary>
/// One weight edit's scores (DESIGN §2, "Metrics"), each a share of the queries answered correctly before the edit,
/// NaN when there were none. <see cref="Generalization"/> pools the three rephrasing groups.
/// </summary>
public sealed record EditScores(double Reliability, double GeneralizationTrain, double GeneralizationHeldout,
    double GeneralizationLanguages, double Generalization, double Locality)
{
    /// <summary>EasyEdit's Avg: the mean of reliability, generalization and locality; NaN when any is undefined, so
    /// the reduce phase takes Avg from the metric means rather than averaging edits with missing parts.</summary>
    public double Avg => (Reliability + Generalization + Locality) / 3;
}

/// <summary>An activation edit's change in target probability: relative (Δprob) and in log-odds, which still
/// moves when enhancing a query already at p ≈ 1.</summary>
public readonly record struct ActivationDelta(double PBefore, double PAfter)
{
    // p = 0 or 1 in float32 would give infinite log-odds; the clamp keeps a saturated query finite and comparable.
    private const double Epsilon = 1e-12;

    public double Dprob => Records.Dprob.Of(PBefore, PAfter);

    public double Dlogodds => LogOdds(PAfter) - LogOdds(PBefore);

    public static double LogOdds(double p)
    {
        p = Math.Clamp(p, Epsilon, 1 - Epsilon);
        return Math.Log(p / (1 - p));
    }
}

/// <summary>
/// Scores edits with the model in whatever state it is in: batched full passes over queries (every edit changes the
/// weights, so no prefix cache survives one), read before and after an edit; and the activation edits (suppress ×0,
/// enhance ×2) through <see cref="SetScalingRunner"/>, which never modifies the model.
/// </summary>
/// <param name="batchSize">Queries per forward pass.</param>
public sealed class EditEvaluator(TransformerLM model, int padId, int batchSize = 64)
{
    private readonly SetScalingRunner _scaling = new(model, padId, batchSize);

    /// <summary>Predictions on every query of the probe. <paramref name="newTokens"/> (by language) names the
    /// update's new object, whose rank and probability are then read as the target.</summary>
    public ProbePredictions Predict(EditProbe probe, IReadOnlyDictionary<string, int>? newTokens = null)
    {
        var all = probe.All.ToList();
        var p = Predict(all, all.Select(q => newTokens?.GetValueOrDefault(q.Language, -1) ?? -1).ToList());
        int at = 1;
        QueryPrediction[] Take(int n)
        {
            var part = p.Skip(at).Take(n).ToArray();
            at += n;
            return part;
        }
        return new ProbePredictions(p[0], Take(probe.Train.Count), Take(probe.HeldOut.Count),
            Take(probe.Languages.Count), Take(probe.Unrelated.Count));
    }

    /// <summary>Predictions at each query's (first) prediction position; target −1 requests none.</summary>
    public QueryPrediction[] Predict(IReadOnlyList<TokenizedQueryRecord> queries, IReadOnlyList<int> targets)
    {
        if (targets.Count != queries.Count)
            throw new ArgumentException($"{targets.Count} targets for {queries.Count} queries", nameof(targets));
        var result = new QueryPrediction[queries.Count];
        for (int start = 0; start < queries.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, queries.Count - start);
            var batch = queries.Skip(start).Take(n).ToList();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            // Inside the scope: reading a parameter makes a tensor handle too.
            var device = model.HeadWeight.device;
            var inputs = ForwardInputs.FromRows(batch.Select(q => q.InputIds).ToList(), padId, device);
            var pos = tensor(batch.Select(q => (long)q.PredictionPositions[0]).ToArray(), device: device);
            // Ranks and probabilities in float32 whatever the weights' dtype: bfloat16 logits tie too often.
            var logits = model.Logits(inputs, pos).to_type(ScalarType.Float32);
            var logp = logits.log_softmax(1);
            var gold = tensor(batch.Select(q => (long)q.TargetIds[0]).ToArray(), device: device).unsqueeze(1);
            var wanted = targets.Skip(start).Take(n).ToArray();
            var target = tensor(wanted.Select(t => (long)Math.Max(t, 0)).ToArray(), device: device).unsqueeze(1);
            var top1 = logits.argmax(1).cpu().data<long>().ToArray();
            var goldRank = logits.gt(logits.gather(1, gold)).sum(1).cpu().data<long>().ToArray();
            var goldProb = logp.gather(1, gold).exp().cpu().data<float>().ToArray();
            var targetRank = logits.gt(logits.gather(1, target)).sum(1).cpu().data<long>().ToArray();
            var targetProb = logp.gather(1, target).exp().cpu().data<float>().ToArray();
            for (int i = 0; i < n; i++)
                result[start + i] = wanted[i] < 0
                    ? new QueryPrediction((int)top1[i], (int)goldRank[i], goldProb[i], -1, double.NaN)
                    : new QueryPrediction((int)top1[i], (int)goldRank[i], goldProb[i], (int)targetRank[i],
                        targetProb[i]);
        }
        return result;
    }

    /// <summary>
    /// The success rules (DESIGN §2, "Metrics"), counted only on queries correct before the edit: erase (and
    /// suppress) succeed when the old object is no longer top-1, update when the new object is (a query whose
    /// language has no new-object token is not counted); locality is the share of unrelated queries whose top-1 did
    /// not change.
    /// </summary>
    public static EditScores Score(EditOp op, ProbePredictions before, ProbePredictions after)
    {
        if (op == EditOp.Enhance)
            throw new ArgumentException("enhance is scored by its Δprob and Δlog-odds, not by success", nameof(op));
        bool? Success(QueryPrediction b, QueryPrediction a)
        {
            if (!b.Correct)
                return null;
            if (op != EditOp.Update)
                return a.GoldRank > 0;
            return a.TargetRank < 0 ? null : a.TargetRank == 0;
        }
        double Share(QueryPrediction[] b, QueryPrediction[] a) =>
            Mean(b.Zip(a).Select(x => Success(x.First, x.Second)));
        var pooled = before.Train.Concat(before.HeldOut).Concat(before.Languages)
            .Zip(after.Train.Concat(after.HeldOut).Concat(after.Languages), Success);
        var locality = before.Unrelated.Zip(after.Unrelated)
            .Select(x => x.First.Correct ? x.First.Top1 == x.Second.Top1 : (bool?)null);
        return new EditScores(Mean([Success(before.Edited, after.Edited)]), Share(before.Train, after.Train),
            Share(before.HeldOut, after.HeldOut), Share(before.Languages, after.Languages), Mean(pooled),
            Mean(locality));
    }

    private static double Mean(IEnumerable<bool?> outcomes)
    {
        var counted = outcomes.Where(o => o.HasValue).ToList();
        return counted.Count == 0 ? double.NaN : counted.Count(o => o!.Value) / (double)counted.Count;
    }

    /// <summary>
    /// Each query's neuron activations at its prediction position, flat and layer-major over
    /// <paramref name="layers"/> (the layout of its attributions): what <c>cas_score: activation</c> averages.
    /// </summary>
    public Dictionary<string, float[]> Activations(IReadOnlyList<TokenizedQueryRecord> queries,
        IReadOnlyList<int> layers)
    {
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var batch in queries.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var device = model.HeadWeight.device;
            var inputs = ForwardInputs.FromRows(batch.Select(q => q.InputIds).ToList(), padId, device);
            var pos = tensor(batch.Select(q => (long)q.PredictionPositions[0]).ToArray(), device: device);
            var capture = new ActivationCapture(pos, layers.ToList());
            model.ForwardHidden(inputs, capture);
            var flat = cat(layers.Select(l => capture.Activations[l].to_type(ScalarType.Float32)).ToList(), 1).cpu();
            int width = (int)flat.shape[1];
            var values = flat.data<float>().ToArray();
            for (int i = 0; i < batch.Length; i++)
                result[batch[i].QueryId] = values.AsSpan(i * width, width).ToArray();
        }
        return result;
    }

    /// <summary>Activation edits: each request's set scaled by its α at its query's prediction position (suppress
    /// α = 0, enhance α = 2), with p of the query's gold first token before and after.</summary>
    public ActivationDelta[] Scale(IReadOnlyList<ScalingRequest> requests)
    {
        var (before, after) = _scaling.Run(requests);
        return requests.Select((r, i) => new ActivationDelta(before[r.Query.QueryId], after[i])).ToArray();
    }
}
