using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Localization;

/// <summary>
/// The per-fact analyses of one assembled fact (docs/architecture.md, MATRICE): refined KN sets per language, every
/// MATRICE variant pair, the default pair's agnostic and language-specific sets with their uncertainties, and the
/// sets the leave-one-language-out arms suppress. Plain CPU work over attributions already in memory, built only
/// from correct training-template queries: held-out-template and held-out-language queries are for evaluation.
/// </summary>
/// <param name="knThreshold">t of the coarse sets (<c>attribution.kn_threshold</c>), also the frequency
/// variant's.</param>
/// <param name="seed">The run seed: every random choice is seeded by it and the ids it is made for.</param>
public sealed class LocalizationStage(LocalizationOptions options, double knThreshold, int ffnWidth, long seed)
{
    public const QueryVariant DefaultQuery = QueryVariant.MeanStd;
    public const LanguageVariant DefaultLanguage = LanguageVariant.MeanStd;

    /// <summary>The arms of the leave-one-language-out test, in table order.</summary>
    public static readonly string[] Arms = ["matrice", "amig", "single_query", "fixed_k", "random"];

    public FactLocalization Analyze(FactGroup fact)
    {
        var factKns = new List<FactKnRecord>();
        var matrice = new List<MatriceRecord>();
        var trials = new List<LoloTrial>();
        var languages = fact.CellSplits.Keys.OrderBy(l => l, StringComparer.Ordinal).ToList();
        // Methods in the order they were attributed (the config's), so the tables' rows do not depend on sorting.
        foreach (var group in fact.Attributed.GroupBy(a => OptionNames.Of(a.Method)))
        {
            var view = new FactMethodView(group.ToList(), ffnWidth);
            Analyze(fact, group.Key, languages, view, factKns, matrice, trials);
        }
        return new FactLocalization(factKns, matrice, trials);
    }

    private void Analyze(FactGroup fact, string method, List<string> languages, FactMethodView view,
        List<FactKnRecord> factKns, List<MatriceRecord> matrice, List<LoloTrial> trials)
    {
        var localized = languages.Where(l => view.Train(l).Count >= options.MinQueries).ToList();
        var queryLevel = new Dictionary<(QueryVariant, string), (double[] Score, double[] Sigma)>();
        foreach (var v in Enum.GetValues<QueryVariant>())
            foreach (var l in localized)
                queryLevel[(v, l)] = Matrice.QueryLevel(view.Train(l), v, options.QueryLambda, knThreshold);

        int[] agnostic = [];
        double[] languageSigma = [];
        foreach (var qv in Enum.GetValues<QueryVariant>())
            foreach (var lv in Enum.GetValues<LanguageVariant>())
            {
                var (score, set, sigma) = Matrice.LanguageLevel(
                    localized.Select(l => queryLevel[(qv, l)].Score).ToList(), lv, options.LanguageLambda, options.Tau);
                bool isDefault = qv == DefaultQuery && lv == DefaultLanguage;
                if (isDefault)
                    (agnostic, languageSigma) = (set, sigma);
                var (layers, units) = view.Neurons(set);
                matrice.Add(new MatriceRecord(fact.FactId, fact.Relation, method, MatriceVariantNames.Of(qv),
                    MatriceVariantNames.Of(lv), isDefault, fact.Guessable, localized.ToArray(),
                    languages.Except(localized).ToArray(), layers, units, set.Select(i => (float)score[i]).ToArray(),
                    MeanOver(set, sigma), ffnWidth, isDefault ? score.Select(s => (float)s).ToArray() : []));
            }

        var agnosticSet = agnostic.ToHashSet();
        foreach (var l in languages)
        {
            var train = view.Train(l);
            bool isLocalized = localized.Contains(l);
            int[] refined = [], perLanguage = [], specific = [];
            float[] shares = [];
            double querySigma = double.NaN;
            if (isLocalized)
            {
                var r = Matrice.Refined(train, knThreshold, options.RefinedShare);
                (refined, shares) = (r.Select(x => x.Index).ToArray(), r.Select(x => x.Share).ToArray());
                var (score, sigma) = queryLevel[(DefaultQuery, l)];
                perLanguage = Enumerable.Range(0, score.Length).Where(i => score[i] > options.Tau)
                    .OrderByDescending(i => score[i]).ThenBy(i => i).ToArray();
                specific = perLanguage.Where(i => !agnosticSet.Contains(i)).ToArray();
                querySigma = MeanOver(agnostic, sigma);
            }
            var (rl, ru) = view.Neurons(refined);
            var (ll, lu) = view.Neurons(perLanguage);
            var (sl, su) = view.Neurons(specific);
            factKns.Add(new FactKnRecord(fact.FactId, fact.Relation, l, method,
                fact.CellSplits.GetValueOrDefault(l, TemplateSplits.Train), train.Count, isLocalized, rl, ru, shares,
                ll, lu, sl, su, querySigma));
        }

        if (options.Lolo)
            trials.AddRange(LeaveOneLanguageOut(fact, method, languages, localized, view, queryLevel));
    }

    /// <summary>
    /// The arms for every language B with a correct query: each chooses its set from the other localized languages
    /// only (B's attributions never enter), and random choices are seeded by the run seed and (fact, method, B), so
    /// a choice does not depend on B's data or on which facts ran before.
    /// </summary>
    private IEnumerable<LoloTrial> LeaveOneLanguageOut(FactGroup fact, string method, List<string> languages,
        List<string> localized, FactMethodView view,
        Dictionary<(QueryVariant, string), (double[] Score, double[] Sigma)> queryLevel)
    {
        foreach (var b in languages)
        {
            var evaluated = view.Correct(b);
            var others = localized.Where(l => l != b).ToList();
            if (evaluated.Count == 0 || others.Count < 2)
                continue;
            string id = $"{fact.FactId}|{method}|{b}";
            var random = new Random((int)(StableHash.Seeded(seed, id + "|lolo") & 0x7fffffff));
            var (score, agnostic, _) = Matrice.LanguageLevel(
                others.Select(l => queryLevel[(DefaultQuery, l)].Score).ToList(), DefaultLanguage,
                options.LanguageLambda, options.Tau);

            // AMIG's LIKN: one random correct query per other language, the intersection of their coarse sets.
            var amig = new SortedSet<int>(Pick(view.Train(others[0])).Coarse(knThreshold));
            foreach (var o in others.Skip(1))
                amig.IntersectWith(Pick(view.Train(o)).Coarse(knThreshold));

            string single = others[random.Next(others.Count)];
            var singleQuery = Pick(view.Train(single));

            var sizes = others.SelectMany(o => view.Train(o)).Select(q => q.Coarse(knThreshold).Length)
                .Order().ToList();
            int k = Math.Max(1, sizes[sizes.Count / 2]);
            var fixedK = Enumerable.Range(0, score.Length).OrderByDescending(i => score[i]).ThenBy(i => i).Take(k);

            var matriceSet = view.Set(agnostic);
            var queries = evaluated.Select(q => q.Query).ToList();
            LoloTrial Trial(string arm, NeuronSet set, string source = "") =>
                new(fact.FactId, fact.Relation, method, b, arm, source, set, queries);
            yield return Trial("matrice", matriceSet);
            yield return Trial("amig", view.Set(amig));
            yield return Trial("single_query", view.Set(singleQuery.Top(agnostic.Length)),
                single);
            yield return Trial("fixed_k", view.Set(fixedK));
            // A set of more than half a layer has no matched control: the arm is then empty (p_after = p_before).
            yield return Trial("random", matriceSet.MatchedRandomOrEmpty(ffnWidth, seed, id));

            QueryScores Pick(IReadOnlyList<QueryScores> qs) => qs[random.Next(qs.Count)];
        }
    }

    private static double MeanOver(int[] set, double[] values) =>
        set.Length == 0 ? double.NaN : set.Average(i => values[i]);
}
