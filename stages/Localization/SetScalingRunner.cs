using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Localization;

/// <summary>One neuron set scaled by α at one query's prediction position.</summary>
public sealed record ScalingRequest(TokenizedQueryRecord Query, NeuronSet Set, double Alpha);

/// <summary>
/// Runs many set scalings of a chunk through the intervention engine on the device thread: every query once unscaled
/// (p_before) and once per non-empty request, all of a prompt's rows in one engine call, so a causal LM builds each
/// prompt's prefix cache once however many sets it is asked about. An empty set, or α = 1, changes nothing, so its
/// p_after is p_before without a pass. The model is never modified.
/// </summary>
/// <param name="promptsPerBatch">Prompts per engine call; each brings one row per request that uses it.</param>
public sealed class SetScalingRunner(TransformerLM model, int padId, int promptsPerBatch = 64)
{
    private readonly NeuronInterventions _engine = new(model, padId);

    /// <summary>p_before of every query the requests name, and p_after of each request, in request order.</summary>
    public (IReadOnlyDictionary<string, double> Before, double[] After) Run(IReadOnlyList<ScalingRequest> requests)
    {
        var queries = new Dictionary<string, TokenizedQueryRecord>(StringComparer.Ordinal);
        var byQuery = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < requests.Count; i++)
        {
            var q = requests[i].Query;
            queries.TryAdd(q.QueryId, q);
            if (!byQuery.TryGetValue(q.QueryId, out var list))
                byQuery[q.QueryId] = list = [];
            if (requests[i].Set.Count > 0 && requests[i].Alpha != 1.0)
                list.Add(i);
        }
        var before = new Dictionary<string, double>(StringComparer.Ordinal);
        var after = new double[requests.Count];
        foreach (var batch in queries.Keys.Order(StringComparer.Ordinal).Chunk(promptsPerBatch))
        {
            var rows = new List<InterventionRow>();
            var owner = new List<int>();                       // request index, or −1 for the unscaled row
            for (int p = 0; p < batch.Length; p++)
            {
                rows.Add(new InterventionRow(p, NeuronSet.Empty, 1.0));
                owner.Add(-1);
                foreach (int r in byQuery[batch[p]])
                {
                    rows.Add(new InterventionRow(p, requests[r].Set, requests[r].Alpha));
                    owner.Add(r);
                }
            }
            var probs = _engine.TargetProbabilities(batch.Select(id => queries[id].InputIds).ToList(),
                batch.Select(id => queries[id].PredictionPositions[0]).ToList(),
                batch.Select(id => queries[id].TargetIds[0]).ToList(), rows);
            for (int i = 0; i < rows.Count; i++)
                if (owner[i] < 0)
                    before[batch[rows[i].Prompt]] = probs[i];
                else
                    after[owner[i]] = probs[i];
        }
        for (int i = 0; i < requests.Count; i++)
            if (requests[i].Set.Count == 0 || requests[i].Alpha == 1.0)
                after[i] = before[requests[i].Query.QueryId];
        return (before, after);
    }
}
