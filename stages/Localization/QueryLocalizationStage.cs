using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Localization;

/// <summary>
/// The query-localization study of one assembled fact (docs/architecture.md, Query localization; QL paper, our
/// documented reconstruction): CS₁ and CS₂ per (language, method) over the first n correct training-template
/// queries, the static consistent (K_I) / inconsistent (K_II) class, and the set scalings its interventions ask the
/// device for: KL's shared (refined) set against each query's own top KNs of the same size, on training and
/// held-out-template queries; and the query-KN mapping (own, neighbour, intersection sets and their matched random
/// controls, suppressed ×0 and enhanced ×2). Plain CPU work; <see cref="Interventions"/> turns the device's
/// probabilities into records.
/// </summary>
public sealed class QueryLocalizationStage(ConsistencyOptions options, double knThreshold, double refinedShare,
    int ffnWidth, long seed)
{
    public static readonly double[] MappingAlphas = [0.0, 2.0];

    /// <summary>One planned scaling with what its record needs besides the probabilities.</summary>
    public sealed record Planned(ScalingRequest Request, string Method, string Analysis, string Arm, bool Control,
        string SourceQuery, double Cs2, string ClassStatic);

    public (List<ConsistencyRecord> Consistency, List<Planned> Plan) Analyze(FactGroup fact)
    {
        var records = new List<ConsistencyRecord>();
        var plan = new List<Planned>();
        var languages = fact.CellSplits.Keys.OrderBy(l => l, StringComparer.Ordinal).ToList();
        foreach (var group in fact.Attributed.GroupBy(a => OptionNames.Of(a.Method)))
        {
            var view = new FactMethodView(group.ToList(), ffnWidth);
            foreach (var l in languages)
                records.Add(Cell(fact, group.Key, l, view, plan));
        }
        return (records, plan);
    }

    private ConsistencyRecord Cell(FactGroup fact, string method, string language, FactMethodView view,
        List<Planned> plan)
    {
        var train = view.Train(language);
        var heldout = fact.Predictions.Where(p => p.Language == language && p.Split == TemplateSplits.Heldout).ToList();
        int heldoutCorrect = heldout.Count(p => p.Correct);
        string cellSplit = fact.CellSplits.GetValueOrDefault(language, TemplateSplits.Train);
        bool classified = train.Count >= options.Queries;
        var first = train.Take(options.Queries).ToList();
        var firstSets = first.Select(q => (IReadOnlyCollection<int>)q.Coarse(knThreshold).ToHashSet()).ToList();
        var allSets = train.Select(q => (IReadOnlyCollection<int>)q.Coarse(knThreshold).ToHashSet()).ToList();
        var (cs2, inter, union) = classified ? Consistency.Cs2(firstSets) : (double.NaN, [], 0);
        double cs1 = classified ? Consistency.Cs1(firstSets) : double.NaN;
        string cls = !classified ? "" : cs2 < options.Tau ? ConsistencyRecord.Inconsistent
            : ConsistencyRecord.Consistent;
        var record = new ConsistencyRecord(fact.FactId, fact.Relation, language, method, cellSplit, train.Count,
            classified, first.Select(q => q.QueryId).ToArray(), cs1, cs2,
            classified ? Consistency.Cs1(allSets) : double.NaN,
            classified ? Consistency.Cs2(allSets).Cs2 : double.NaN, inter.Length, union, cls, heldoutCorrect,
            heldout.Count);
        if (!classified)
            return record;

        void Add(TokenizedQueryRecord q, NeuronSet set, double alpha, string analysis, string arm, bool control,
            string source = "") =>
            plan.Add(new Planned(new ScalingRequest(q, set, alpha), method, analysis, arm, control, source, cs2, cls));

        if (options.KlVsQl)
        {
            // KL's one shared set against each query's own top KNs of the same size: an inconsistent fact's refined
            // set is small by construction, and sets of unequal size would decide the comparison in advance.
            var refined = Matrice.Refined(train, knThreshold, refinedShare).Select(x => x.Index).ToArray();
            var shared = view.Set(refined);
            foreach (var (q, scores) in view.Correct(language)
                         .Where(c => c.Query.Split is TemplateSplits.Train or TemplateSplits.Heldout))
            {
                Add(q, shared, 0.0, "kl_vs_ql", "kl_shared", false);
                Add(q, view.Set(scores.Top(refined.Length)), 0.0, "kl_vs_ql", "ql_own", false);
            }
        }
        if (options.Mapping)
        {
            var byId = view.Correct(language).ToDictionary(c => c.Scores.QueryId, c => c.Query);
            var intersection = view.Set(inter);
            for (int i = 0; i < first.Count; i++)
            {
                var q = byId[first[i].QueryId];
                var sets = new List<(string Arm, NeuronSet Set, string Source)>
                {
                    ("own", view.Set(firstSets[i].Order()), ""),
                    ("intersection", intersection, ""),
                };
                for (int j = 0; j < first.Count; j++)
                    if (j != i)
                        sets.Add(("neighbour", view.Set(firstSets[j].Order()), first[j].QueryId));
                foreach (var (arm, set, source) in sets)
                {
                    var control = set.MatchedRandomOrEmpty(ffnWidth, seed, $"{q.QueryId}|{method}|{arm}|{source}");
                    foreach (double alpha in MappingAlphas)
                    {
                        Add(q, set, alpha, "mapping", arm, false, source);
                        Add(q, control, alpha, "mapping", arm, true, source);
                    }
                }
            }
        }
        return record;
    }

    /// <summary>
    /// The queries the synapse probe scales: every correct training-template query of the fact, with its coarse KNs
    /// under the run's first method; the first of them (languages in ordinal order) also keeps its heatmap.
    /// </summary>
    public List<SynapseQuery> SynapseQueries(FactGroup fact)
    {
        var first = fact.Attributed.GroupBy(a => OptionNames.Of(a.Method)).FirstOrDefault();
        if (first is null)
            return [];
        var view = new FactMethodView(first.ToList(), ffnWidth);
        var list = new List<SynapseQuery>();
        foreach (var l in fact.CellSplits.Keys.Order(StringComparer.Ordinal))
            foreach (var (q, scores) in view.Correct(l).Where(c => c.Query.Split == TemplateSplits.Train))
                list.Add(new SynapseQuery(q, first.Key, view.Set(scores.Coarse(knThreshold)), list.Count == 0));
        return list;
    }

    /// <summary>The records of a chunk's planned scalings, given the device's probabilities.</summary>
    public static List<QueryInterventionRecord> Interventions(IReadOnlyList<Planned> plan,
        IReadOnlyDictionary<string, double> before, IReadOnlyList<double> after)
    {
        var records = new List<QueryInterventionRecord>(plan.Count);
        for (int i = 0; i < plan.Count; i++)
        {
            var p = plan[i];
            var q = p.Request.Query;
            records.Add(new QueryInterventionRecord(q.QueryId, q.FactId, q.Relation, q.Language, q.TemplateId,
                q.Split, p.Method, p.Analysis, p.Arm, p.Control, p.Request.Alpha, p.SourceQuery,
                p.Request.Set.Layers, p.Request.Set.Units, before[q.QueryId], after[i], p.Cs2, p.ClassStatic));
        }
        return records;
    }
}
