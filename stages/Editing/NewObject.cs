using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Editing;

/// <summary>A candidate object of a relation and its first token in the edit language.</summary>
public sealed record ObjectCandidate(string Object, int FirstToken);

/// <summary>
/// The update's new object (DESIGN §2, "Editing ops"): another object of the same relation whose first token differs
/// from the old one's, so "the new object is top-1" cannot be met by the old answer. Drawn from the candidates in
/// ordinal order with a generator seeded by the run seed and the edit's id, so the choice depends neither on the
/// order the candidates came in nor on which edits ran before.
/// </summary>
public static class NewObject
{
    /// <returns>The chosen candidate, or null when no object of the relation has another first token.</returns>
    public static ObjectCandidate? Pick(string oldObject, int oldFirstToken, IEnumerable<ObjectCandidate> candidates,
        long seed, string editId)
    {
        var eligible = candidates.Where(c => c.FirstToken != oldFirstToken && c.Object != oldObject)
            .DistinctBy(c => c.Object).OrderBy(c => c.Object, StringComparer.Ordinal).ToList();
        if (eligible.Count == 0)
            return null;
        var random = new Random((int)(StableHash.Seeded(seed, editId + "|new_object") & 0x7fffffff));
        return eligible[random.Next(eligible.Count)];
    }
}
