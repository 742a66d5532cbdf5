using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Options;

namespace KnPipeline.Stages.Editing;

/// <summary>One selection of an edit and its matched random control, in real layer ids.</summary>
public sealed record EditSelection(string Name, NeuronSet Set, NeuronSet Random);

/// <summary>
/// The neuron selections of one (fact, edit language, method) cell and one edited query (DESIGN §2, "KN sets used as
/// selections"): <c>own</c>, <c>union</c>, <c>refined</c>, <c>cas</c> and the given <c>agnostic</c> set, each with
/// a matched random control. Built from the fact's correct training-template queries in the edit language only: the
/// held-out rephrasings and the other languages are what generalization is measured on.
/// </summary>
/// <param name="knThreshold">t of the coarse sets (<c>attribution.kn_threshold</c>).</param>
/// <param name="refinedShare">p of the refined set (<c>localization.refined_share</c>).</param>
/// <param name="minQueries">Correct training queries a language needs for a refined set
/// (<c>localization.min_queries</c>); with fewer the fact is not localized there and <c>refined</c> is empty.</param>
/// <param name="seed">The run seed; each control is seeded by it, the edit's id and the selection's name.</param>
public sealed class EditSelections(EditingOptions options, double knThreshold, double refinedShare, int minQueries,
    int ffnWidth, long seed)
{
    public static readonly string[] Names = ["own", "union", "refined", "cas", "agnostic"];

    /// <param name="view">The fact's attributions under one method.</param>
    /// <param name="editedQueryId">The edited query: one of the view's correct queries in
    /// <paramref name="language"/>.</param>
    /// <param name="agnostic">MATRICE's default agnostic set of the fact under this method.</param>
    /// <param name="activations">With <c>cas_score: activation</c>, each training query's activations at its
    /// prediction position, flat like its attributions (attribution records do not carry them).</param>
    /// <param name="editId">What the random controls are seeded by, with the run seed.</param>
    public IReadOnlyList<EditSelection> Build(FactMethodView view, string language, string editedQueryId,
        NeuronSet agnostic, string editId, IReadOnlyDictionary<string, float[]>? activations = null)
    {
        var edited = view.Correct(language).FirstOrDefault(c => c.Query.QueryId == editedQueryId).Scores
            ?? throw new ArgumentException(
                $"query '{editedQueryId}' is not a correct query of the fact in '{language}'", nameof(editedQueryId));
        var train = view.Train(language);
        var own = edited.Coarse(knThreshold);
        // The edited query enters the union even when it is not a training query, so union ⊇ own always holds.
        var union = new SortedSet<int>(own);
        foreach (var q in train)
            union.UnionWith(q.Coarse(knThreshold));
        var refined = train.Count < minQueries
            ? []
            : Matrice.Refined(train, knThreshold, refinedShare).Select(x => x.Index);
        var cas = Cas(ConsistencyAware(Values(train, activations)));
        var sets = new[] { view.Set(own), view.Set(union), view.Set(refined), view.Set(cas), agnostic };
        return Names.Zip(sets, (name, set) =>
            new EditSelection(name, set, set.MatchedRandomOrEmpty(ffnWidth, seed, $"{editId}|{name}"))).ToList();
    }

    private List<float[]> Values(IReadOnlyList<QueryScores> train, IReadOnlyDictionary<string, float[]>? activations)
    {
        if (options.CasScore == CasScore.Attribution)
            return train.Select(q => q.Normalized).ToList();
        if (activations is null)
            throw new ArgumentException("cas_score: activation needs the training queries' activations",
                nameof(activations));
        return train.Select(q => activations.TryGetValue(q.QueryId, out var a) && a.Length == q.Normalized.Length
            ? a
            : throw new ArgumentException($"query '{q.QueryId}' has no activations of {q.Normalized.Length} units",
                nameof(activations))).ToList();
    }

    /// <summary>β₁·μ_n − β₂·σ_n over the queries (σ the population deviation, as MATRICE's σ); no queries, no
    /// scores.</summary>
    public double[] ConsistencyAware(IReadOnlyList<float[]> values)
    {
        if (values.Count == 0)
            return [];
        int n = values[0].Length;
        var score = new double[n];
        for (int i = 0; i < n; i++)
        {
            double mean = 0, variance = 0;
            foreach (var v in values)
                mean += v[i];
            mean /= values.Count;
            foreach (var v in values)
                variance += (v[i] - mean) * (v[i] - mean);
            score[i] = options.Beta1 * mean - options.Beta2 * Math.Sqrt(variance / values.Count);
        }
        return score;
    }

    /// <summary>
    /// The selected flat indices, by descending score then index: the top k, or the scores above t · max. Only
    /// positive scores are kept either way: a neuron whose inconsistency outweighs its mean is not a knowledge
    /// neuron of the fact, and a threshold on a non-positive maximum would select everything.
    /// </summary>
    public int[] Cas(double[] score)
    {
        var ranked = Enumerable.Range(0, score.Length).Where(i => score[i] > 0)
            .OrderByDescending(i => score[i]).ThenBy(i => i);
        if (options.SelectionTopK > 0)
            return ranked.Take(options.SelectionTopK).ToArray();
        double max = score.Length == 0 ? 0 : score.Max();
        return ranked.Where(i => score[i] > options.SelectionThreshold * max).ToArray();
    }
}
