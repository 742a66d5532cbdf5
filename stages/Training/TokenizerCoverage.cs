using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Training;

/// <summary>
/// How well the embedded tokenizer serves the benchmark, the two figures issue #12 asks for: per language the share
/// of held-out prompt pieces (tokens) that never occur in any training row, and per relation and language the objects
/// whose first token is also another object's first token (a first-token hit cannot tell those apart).
/// </summary>
public static class TokenizerCoverage
{
    /// <summary>Held-out prompt tokens of one language and how many of them no training row contains.</summary>
    public sealed record LanguageCoverage(string Language, int HeldoutPieces, int UnseenPieces)
    {
        public double UnseenShare => HeldoutPieces == 0 ? double.NaN : UnseenPieces / (double)HeldoutPieces;
    }

    /// <summary>Distinct objects of one relation and language that start with the same token.</summary>
    public sealed record Collision(string Language, string Relation, string FirstToken, IReadOnlyList<string> Objects);

    /// <summary>
    /// Counts every token of every held-out prompt (one per query, so a frequent template weighs more), and calls it
    /// unseen when no training row of the same language (fact sentences and filler) holds that token id.
    /// </summary>
    public static IReadOnlyList<LanguageCoverage> UnseenHeldoutPieces(TrainingCorpus corpus, ByteLevelBpe bpe)
    {
        var seen = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        foreach (var row in corpus.Rows(bpe))
        {
            if (!seen.TryGetValue(row.Language, out var set))
                seen[row.Language] = set = [];
            set.UnionWith(row.Ids);
        }
        var result = new List<LanguageCoverage>();
        foreach (var lang in corpus.Languages)
        {
            var set = seen.GetValueOrDefault(lang.Code) ?? [];
            int pieces = 0, unseen = 0;
            foreach (var s in corpus.Statements.Where(s => s.Language == lang.Code && s.Split == TemplateSplits.Heldout && s.SubjectFirst))
                foreach (int id in bpe.Encode(s.Prompt))
                {
                    pieces++;
                    if (!set.Contains(id))
                        unseen++;
                }
            result.Add(new LanguageCoverage(lang.Code, pieces, unseen));
        }
        return result;
    }

    /// <summary>
    /// Groups of distinct objects sharing a first token, per language and relation, for every object form the queries
    /// use (with a leading space, and bare where a template glues the object on, e.g. French d'[Y]). Only
    /// subject-first statements count: an object-first template is never a causal query, and its sentence-initial
    /// bare form is rare enough in training that BPE leaves it in pieces.
    /// </summary>
    public static IReadOnlyList<Collision> FirstTokenCollisions(TrainingCorpus corpus, ByteLevelBpe bpe)
    {
        var result = new List<Collision>();
        var groups = corpus.Statements.Where(s => s.SubjectFirst)
            .GroupBy(s => (s.Language, s.Relation))
            .OrderBy(g => g.Key.Language, StringComparer.Ordinal).ThenBy(g => g.Key.Relation, StringComparer.Ordinal);
        foreach (var g in groups)
        {
            var forms = g.Select(s => (s.Object, s.ObjectForm)).Distinct().ToList();
            var byToken = new SortedDictionary<int, SortedSet<string>>();
            foreach (var (obj, form) in forms)
            {
                int first = bpe.Encode(form)[0];
                if (!byToken.TryGetValue(first, out var objects))
                    byToken[first] = objects = new SortedSet<string>(StringComparer.Ordinal);
                objects.Add(obj);
            }
            foreach (var (token, objects) in byToken.Where(kv => kv.Value.Count > 1))
                result.Add(new Collision(g.Key.Language, g.Key.Relation, bpe.Decode([token]), [.. objects]));
        }
        return result;
    }
}
