using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Localization;

/// <summary>
/// Runs the leave-one-language-out suppressions of a chunk (docs/architecture.md, MATRICE, "The test of the method"):
/// each arm's set scaled by 0 on each of B's correct queries, through <see cref="SetScalingRunner"/>. An empty set
/// changes nothing, so its p_after is p_before.
/// </summary>
public sealed class LoloRunner(SetScalingRunner runner)
{
    public LoloRunner(TransformerLM model, int padId, int promptsPerBatch = 64)
        : this(new SetScalingRunner(model, padId, promptsPerBatch))
    {
    }

    public List<LoloRecord> Run(IReadOnlyList<LoloTrial> trials)
    {
        var (before, after) = runner.Run(Requests(trials));
        return Records(trials, before, after);
    }

    /// <summary>The scalings of the trials, one per (trial, query) in trial order: the graph runs them in one call
    /// with the chunk's other scalings, so a prompt's prefix cache serves them all.</summary>
    public static List<ScalingRequest> Requests(IReadOnlyList<LoloTrial> trials) =>
        trials.SelectMany(t => t.Queries.Select(q => new ScalingRequest(q, t.Set, 0.0))).ToList();

    /// <summary>The records of the trials, given p_before per query and p_after per request of
    /// <see cref="Requests"/> (in its order).</summary>
    public static List<LoloRecord> Records(IReadOnlyList<LoloTrial> trials, IReadOnlyDictionary<string, double> before,
        IReadOnlyList<double> after)
    {
        var records = new List<LoloRecord>(after.Count);
        int i = 0;
        foreach (var t in trials)
            foreach (var q in t.Queries)
                records.Add(new LoloRecord(q.QueryId, q.FactId, q.Relation, q.Language, q.TemplateId, q.Split,
                    t.Method, t.Arm, t.SourceLanguage, t.Set.Layers, t.Set.Units, before[q.QueryId], after[i++]));
        return records;
    }
}
