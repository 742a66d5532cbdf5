using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Editing;

/// <summary>A fact as the editing sample sees it: its relation, id and gold object.</summary>
public sealed record EditFact(string Relation, string FactId, string Object);

/// <summary>
/// The seeded choices of the editing protocol (docs/architecture.md, Editing): which facts are edited and in which
/// split, which of their correct queries, and the fixed probe set locality is measured on. Each is a pure function
/// of the seed and the ids (ordered by <see cref="StableHash.Mixed"/>, ties by id), so every shard and every
/// resumed run makes the same choices without seeing the others' facts.
/// </summary>
public static class EditSampling
{
    public const string Dev = "dev";
    public const string Eval = "eval";

    /// <summary>
    /// The edited facts, <paramref name="perRelation"/> per relation, each with its split. A relation's dev count is
    /// devShare · n rounded up or down at random (seeded by the relation), so a relation of two facts is not forced to
    /// all-eval or half-dev: over relations the dev share is about <paramref name="devShare"/>, and every relation
    /// stays stratified.
    /// </summary>
    public static Dictionary<string, string> Phases(IEnumerable<EditFact> facts, int perRelation, double devShare,
        long seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perRelation, 1);
        var phases = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var relation in facts.DistinctBy(f => f.FactId).GroupBy(f => f.Relation, StringComparer.Ordinal))
        {
            var chosen = Ordered(relation.Select(f => f.FactId), seed, "edit").Take(perRelation).ToList();
            double u = Uniform(seed, $"edit-dev|{relation.Key}");
            int dev = (int)Math.Floor(devShare * chosen.Count + u);
            for (int i = 0; i < chosen.Count; i++)
                phases[chosen[i]] = i < dev ? Dev : Eval;
        }
        return phases;
    }

    /// <summary>The <paramref name="perFact"/> queries edited of one fact's correct queries.</summary>
    public static List<TokenizedQueryRecord> Queries(IEnumerable<TokenizedQueryRecord> correct, int perFact,
        long seed)
    {
        var byId = correct.DistinctBy(q => q.QueryId).ToDictionary(q => q.QueryId, StringComparer.Ordinal);
        return Ordered(byId.Keys, seed, "edit-query").Take(perFact).Select(id => byId[id]).ToList();
    }

    /// <summary>The fixed probe set: <paramref name="count"/> facts, whatever their relation.</summary>
    public static List<EditFact> Probe(IEnumerable<EditFact> facts, int count, long seed)
    {
        var byId = facts.DistinctBy(f => f.FactId).ToDictionary(f => f.FactId, StringComparer.Ordinal);
        return Ordered(byId.Keys, seed, "edit-probe").Take(count).Select(id => byId[id]).ToList();
    }

    /// <summary>The probe facts unrelated to one edit: another relation, and neither the old nor the new object
    /// (an edit may move a fact that shares either, and that would be counted as a locality failure).</summary>
    public static List<EditFact> Unrelated(IEnumerable<EditFact> probe, string relation, string oldObject,
        string? newObject) =>
        probe.Where(f => f.Relation != relation && f.Object != oldObject && f.Object != newObject).ToList();

    private static IEnumerable<string> Ordered(IEnumerable<string> ids, long seed, string purpose) =>
        ids.OrderBy(id => Mixed(seed, $"{purpose}|{id}")).ThenBy(id => id, StringComparer.Ordinal);

    private static double Uniform(long seed, string key) => (Mixed(seed, key) >> 11) / (double)(1UL << 53);

    private static ulong Mixed(long seed, string key) => StableHash.Mixed(seed, key);
}
