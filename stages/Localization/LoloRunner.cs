using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Localization;

/// <summary>
/// Runs the leave-one-language-out suppressions of a chunk on the device (docs/architecture.md, MATRICE, "The test of
/// the method"): every evaluated query once unscaled (p_before) and once per non-empty arm set scaled by 0, through
/// the intervention engine, so a causal LM reuses each prompt's prefix cache and all of a prompt's arms share one
/// batch. An empty set changes nothing, so its p_after is p_before without a pass. The model is never modified.
/// </summary>
/// <param name="promptsPerBatch">Prompts per engine call; each brings one row per arm and method that uses it.</param>
public sealed class LoloRunner(TransformerLM model, int padId, int promptsPerBatch = 64)
{
    private readonly NeuronInterventions _engine = new(model, padId);

    public List<LoloRecord> Run(IReadOnlyList<LoloTrial> trials)
    {
        var queries = new Dictionary<string, TokenizedQueryRecord>(StringComparer.Ordinal);
        foreach (var t in trials)
            foreach (var q in t.Queries)
                queries.TryAdd(q.QueryId, q);
        var order = queries.Keys.Order(StringComparer.Ordinal).ToList();
        var before = new Dictionary<string, double>(StringComparer.Ordinal);
        var after = new Dictionary<(int Trial, string Query), double>();
        var trialsByQuery = order.ToDictionary(id => id, _ => new List<int>(), StringComparer.Ordinal);
        for (int i = 0; i < trials.Count; i++)
            if (trials[i].Set.Count > 0)
                foreach (var q in trials[i].Queries)
                    trialsByQuery[q.QueryId].Add(i);

        foreach (var batch in order.Chunk(promptsPerBatch))
        {
            var prompts = batch.Select(id => queries[id].InputIds).ToList();
            var positions = batch.Select(id => queries[id].PredictionPositions[0]).ToList();
            var targets = batch.Select(id => queries[id].TargetIds[0]).ToList();
            var rows = new List<InterventionRow>();
            var keys = new List<(int Trial, string Query)>();
            for (int p = 0; p < batch.Length; p++)
            {
                rows.Add(new InterventionRow(p, NeuronSet.Empty, 1.0));
                keys.Add((-1, batch[p]));
                foreach (int t in trialsByQuery[batch[p]])
                {
                    rows.Add(new InterventionRow(p, trials[t].Set, 0.0));
                    keys.Add((t, batch[p]));
                }
            }
            var probs = _engine.TargetProbabilities(prompts, positions, targets, rows);
            for (int i = 0; i < keys.Count; i++)
                if (keys[i].Trial < 0)
                    before[keys[i].Query] = probs[i];
                else
                    after[keys[i]] = probs[i];
        }

        var records = new List<LoloRecord>();
        for (int i = 0; i < trials.Count; i++)
        {
            var t = trials[i];
            foreach (var q in t.Queries)
            {
                double pBefore = before[q.QueryId];
                double pAfter = t.Set.Count > 0 ? after[(i, q.QueryId)] : pBefore;
                records.Add(new LoloRecord(q.QueryId, q.FactId, q.Relation, q.Language, q.TemplateId, q.Split,
                    t.Method, t.Arm, t.SourceLanguage, t.Set.Layers, t.Set.Units, pBefore, pAfter));
            }
        }
        return records;
    }
}
