using System.Text.Json.Serialization;
using KnPipeline.Stages.Records;
using static KnPipeline.Stages.Localization.QueryLocalizationStatistics;

namespace KnPipeline.Stages.Localization;

/// <summary>
/// Everything the reduce phase computes for issue #16, over every method the run computed (written as
/// <c>reduce/query_localization.json</c>; the report draws from it). <see cref="SummaryMethod"/> is <c>dai</c>, or
/// the run's first method when dai did not run: the summary keys are its numbers under the static τ. The ∩ columns
/// (<see cref="JointStatic"/>, <see cref="JointOtsu"/>) are over the cells classified under every method.
/// </summary>
public sealed record QueryLocalizationReduction(
    string? SummaryMethod,
    long Seed,
    int Resamples,
    double Tau,
    int OtsuBins,
    int Queries,
    IReadOnlyList<string> Methods,
    Ratio JointStatic,
    Ratio JointOtsu,
    IReadOnlyList<GroupRatio> JointByRelation,
    IReadOnlyList<GroupRatio> JointByLanguage,
    IReadOnlyList<MethodResult> PerMethod,
    IReadOnlyList<SynapseResult> Synapses)
{
    /// <summary>The options the statistics need: the run seed and the config's consistency and bootstrap values.
    /// </summary>
    public sealed record Settings(long Seed, int Resamples, double Tau, int OtsuBins, int Queries);

    public static QueryLocalizationReduction Compute(IReadOnlyList<ConsistencyRecord> consistency,
        IReadOnlyList<QueryInterventionRecord> interventions, IReadOnlyList<SynapseRecord> synapses,
        IReadOnlyDictionary<string, List<QuerySet>> setsByMethod,
        IReadOnlyDictionary<(string Fact, string Language), int> answers, IReadOnlyList<string> configured,
        Settings s)
    {
        var present = consistency.Select(r => r.Method).ToHashSet();
        // The config's order (the first method is the main one), then any other found in the table.
        var methods = configured.Where(present.Contains)
            .Concat(present.Except(configured).Order(StringComparer.Ordinal)).ToList();
        var perMethod = methods.Select(m => ForMethod(m, consistency.Where(r => r.Method == m).ToList(),
            interventions.Where(r => r.Method == m).ToList(), setsByMethod.GetValueOrDefault(m) ?? [], answers, s))
            .ToList();
        var otsu = perMethod.ToDictionary(m => m.Method, m => m.OtsuTau);
        var joint = Joint(consistency, methods, s.Tau, otsu);
        var (jointStatic, jointOtsu) = JointRatio(joint);
        string? summaryMethod = methods.Contains("dai") ? "dai" : methods.FirstOrDefault();
        return new QueryLocalizationReduction(summaryMethod, s.Seed, s.Resamples, s.Tau, s.OtsuBins, s.Queries, methods,
            jointStatic, jointOtsu, JointBy(joint, c => c.Relation), JointBy(joint, c => c.Language), perMethod,
            SynapseMeans(synapses, s));
    }

    private static List<GroupRatio> JointBy(List<JointCell> cells, Func<JointCell, string> key) =>
        cells.GroupBy(key).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var (st, ot) = JointRatio(g.ToList());
            return new GroupRatio(g.Key, st, ot);
        }).ToList();

    private static MethodResult ForMethod(string method, List<ConsistencyRecord> rows,
        List<QueryInterventionRecord> interventions, List<QuerySet> sets,
        IReadOnlyDictionary<(string, string), int> answers, Settings s)
    {
        var cells = rows.Where(r => r.Classified && double.IsFinite(r.Cs2)).ToList();
        double? otsu = Otsu(cells.Select(c => c.Cs2), s.OtsuBins);
        List<GroupRatio> By(Func<ConsistencyRecord, string> key) => cells.GroupBy(key)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new GroupRatio(g.Key, KiiRatio(g.Select(c => c.Cs2).ToList(), s.Tau),
                KiiRatio(g.Select(c => c.Cs2).ToList(), otsu))).ToList();
        var cs2 = cells.Select(c => c.Cs2).ToList();
        var nulls = NullConsistency(cells, sets, answers, s.Seed);
        return new MethodResult(method, rows.Count, cells.Count, otsu, KiiRatio(cs2, s.Tau), KiiRatio(cs2, otsu),
            By(c => c.Relation), By(c => c.Language), Means(cells, s.Tau), Means(cells, otsu),
            WelchOf(cells, s.Tau), WelchOf(cells, otsu), Avg(cells.Select(c => c.Cs1)), Avg(cs2),
            Avg(cells.Select(c => c.Cs2All)), NullOf(nulls, sets, answers, s.Queries),
            KlVsQl(method, interventions, s, otsu), Mapping(method, interventions, s, otsu),
            EmptyIntersections(interventions, s.Tau, otsu), PlantedOf(cells), cells, nulls);
    }

    private static double? Avg(IEnumerable<double> values) =>
        values.Where(double.IsFinite).ToList() is { Count: > 0 } v ? v.Average() : null;

    private static ClassMeans Means(List<ConsistencyRecord> cells, double? tau)
    {
        if (tau is not { } t)
            return new ClassMeans(0, null, 0, null);
        var ki = cells.Where(c => c.Cs2 >= t).Select(c => c.Cs2).ToList();
        var kii = cells.Where(c => c.Cs2 < t).Select(c => c.Cs2).ToList();
        return new ClassMeans(ki.Count, Avg(ki), kii.Count, Avg(kii));
    }

    private static WelchTest WelchOf(List<ConsistencyRecord> cells, double? tau) => tau is { } t
        ? Welch(cells.Where(c => c.Cs2 >= t).Select(c => c.Cs2).ToList(),
            cells.Where(c => c.Cs2 < t).Select(c => c.Cs2).ToList())
        : new WelchTest(0, 0, null, null, null, null, null);

    private static NullSummary NullOf(List<NullCell> nulls, List<QuerySet> sets,
        IReadOnlyDictionary<(string, string), int> answers, int n)
    {
        NullSide Side(Func<NullCell, NullDraw?> draw)
        {
            var d = nulls.Select(draw).OfType<NullDraw>().ToList();
            return new NullSide(d.Count, d.Count(x => x.K == n),
                Avg(d.Select(x => (double)x.K)), Avg(d.Select(x => x.Cs2)), Avg(d.Select(x => x.Cs1)),
                Avg(d.Select(x => x.OwnCs2)), Avg(d.Select(x => x.PairCs2)), Avg(d.Select(x => x.OwnPairCs2)));
        }
        return new NullSummary(nulls.Count, Side(n => n.Same), Side(n => n.Other),
            sets.Select(q => q.Relation).Distinct().Count(), RelationsWithoutSameObjectPair(sets, answers));
    }

    /// <summary>The class of an intervention row's cell under one threshold (null: no Otsu τ).</summary>
    private static string? ClassOfRow(QueryInterventionRecord r, string threshold, double tau, double? otsu) =>
        threshold == Static ? ClassOf(r.Cs2, tau) : otsu is { } o ? ClassOf(r.Cs2, o) : null;

    private static List<ArmMean> KlVsQl(string method, List<QueryInterventionRecord> rows, Settings s, double? otsu)
    {
        var kl = rows.Where(r => r.Analysis == "kl_vs_ql").ToList();
        var result = new List<ArmMean>();
        foreach (var threshold in new[] { Static, OtsuName })
            foreach (var split in new[] { TemplateSplits.Train, TemplateSplits.Heldout })
                foreach (var arm in new[] { "kl_shared", "ql_own" })
                    foreach (var cls in Classes)
                    {
                        var group = kl.Where(r => r.Split == split && r.Arm == arm && !r.Control &&
                                                  ClassOfRow(r, threshold, s.Tau, otsu) == cls)
                            .Select(r => (r.FactId, r.Dprob, (double)r.Layer.Length));
                        result.Add(new ArmMean("kl_vs_ql", arm, split, false, 0, threshold, cls,
                            Mean(group, s.Seed, $"kl_vs_ql|{method}|{arm}|{split}|{threshold}|{cls}", s.Resamples)));
                    }
        return result;
    }

    /// <summary>The mapping means: a query's neighbour rows (one per other query of its cell) are averaged first,
    /// so every query weighs the same in every arm.</summary>
    private static List<ArmMean> Mapping(string method, List<QueryInterventionRecord> rows, Settings s, double? otsu)
    {
        var mapping = rows.Where(r => r.Analysis == "mapping").ToList();
        var result = new List<ArmMean>();
        foreach (var threshold in new[] { Static, OtsuName })
            foreach (var arm in new[] { "own", "neighbour", "intersection" })
                foreach (bool control in new[] { false, true })
                    foreach (double alpha in QueryLocalizationStage.MappingAlphas)
                        foreach (var cls in Classes)
                        {
                            var perQuery = mapping.Where(r => r.Arm == arm && r.Control == control &&
                                                              r.Alpha == alpha &&
                                                              ClassOfRow(r, threshold, s.Tau, otsu) == cls)
                                .GroupBy(r => r.QueryId)
                                .Select(g => (g.First().FactId, g.Average(r => r.Dprob),
                                    g.Average(r => (double)r.Layer.Length)));
                            result.Add(new ArmMean("mapping", arm, TemplateSplits.Train, control, alpha, threshold,
                                cls, Mean(perQuery, s.Seed,
                                    $"mapping|{method}|{arm}|{control}|{alpha:R}|{threshold}|{cls}", s.Resamples)));
                        }
        return result;
    }

    private static List<EmptyIntersection> EmptyIntersections(List<QueryInterventionRecord> rows, double tau,
        double? otsu)
    {
        var cells = rows.Where(r => r is { Analysis: "mapping", Arm: "intersection", Control: false })
            .GroupBy(r => (r.FactId, r.Language)).Select(g => g.First()).ToList();
        var result = new List<EmptyIntersection>();
        foreach (var threshold in new[] { Static, OtsuName })
            foreach (var cls in Classes)
            {
                var group = cells.Where(r => ClassOfRow(r, threshold, tau, otsu) == cls).ToList();
                result.Add(new EmptyIntersection(threshold, cls, group.Count, group.Count(r => r.Layer.Length == 0)));
            }
        return result;
    }

    /// <summary>A cell generalizes when most of its held-out-template queries are answered correctly; cells with
    /// none are left out.</summary>
    private static Planted PlantedOf(List<ConsistencyRecord> cells)
    {
        var withHeldout = cells.Where(c => c.HeldoutTotal > 0).ToList();
        var yes = withHeldout.Where(c => c.HeldoutCorrect * 2 > c.HeldoutTotal).Select(c => c.Cs2).ToList();
        var no = withHeldout.Where(c => c.HeldoutCorrect * 2 <= c.HeldoutTotal).Select(c => c.Cs2).ToList();
        return new Planted(yes.Count, Avg(yes), no.Count, Avg(no), cells.Count - withHeldout.Count, Welch(yes, no));
    }

    private static List<SynapseResult> SynapseMeans(IReadOnlyList<SynapseRecord> rows, Settings s) =>
        rows.GroupBy(r => (r.Method, r.Variant, r.Alpha, r.Control))
            .OrderBy(g => g.Key.Method, StringComparer.Ordinal).ThenBy(g => g.Key.Variant, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Alpha).ThenBy(g => g.Key.Control)
            .Select(g =>
            {
                string name = $"synapses|{g.Key.Method}|{g.Key.Variant}|{g.Key.Alpha:R}|{g.Key.Control}";
                return new SynapseResult(g.Key.Method, g.Key.Variant, g.Key.Alpha, g.Key.Control,
                    Mean(g.Select(r => (r.FactId, r.Dprob, (double)r.Columns)), s.Seed, name + "|dprob",
                        s.Resamples),
                    Mean(g.Select(r => (r.FactId, r.Dact, (double)r.KnCount)), s.Seed, name + "|dact",
                        s.Resamples));
            }).ToList();
}

/// <summary>K_II ratios of one group (a relation, a language) under both thresholds.</summary>
public sealed record GroupRatio(string Group, Ratio Static, Ratio Otsu);

/// <summary>Mean CS₂ of the consistent (K_I) and inconsistent (K_II) cells under one threshold.</summary>
public sealed record ClassMeans(int ConsistentCells, double? Cs2Consistent, int InconsistentCells,
    double? Cs2Inconsistent);

/// <summary>The null consistency of one method: each side (same object, other object) and the relations with no
/// same-object pair at all.</summary>
public sealed record NullSummary(int Cells, NullSide SameObject, NullSide OtherObject, int Relations,
    IReadOnlyList<string> RelationsWithoutSameObjectPair);

/// <summary>One side of the null: the cells that got a draw (<see cref="FullCells"/> of them with k = n), the mean
/// k, the null's mean CS₂ and CS₁, and the same cells' own mean CS₂ over their first k queries; then both at k = 2.
/// </summary>
public sealed record NullSide(int Cells, int FullCells, double? MeanK, double? Cs2, double? Cs1, double? OwnCs2,
    double? PairCs2, double? OwnPairCs2);

/// <summary>Mean Δprob of one arm (its set or its matched control) at one α for one class.</summary>
public sealed record ArmMean(string Analysis, string Arm, string Split, bool Control, double Alpha, string Threshold,
    string Class, Estimate Dprob);

/// <summary>Cells of a class whose intersection set is empty (it then has no effect by construction).</summary>
public sealed record EmptyIntersection(string Threshold, string Class, int Cells, int Empty)
{
    public double? Share => Cells > 0 ? (double)Empty / Cells : null;
}

/// <summary>Mean CS₂ of cells that generalize to their held-out templates and of those that do not.</summary>
public sealed record Planted(int Generalizing, double? Cs2Generalizing, int NotGeneralizing,
    double? Cs2NotGeneralizing, int WithoutHeldout, WelchTest Welch);

/// <summary>One method's statistics.</summary>
public sealed record MethodResult(string Method, int Cells, int Classified, double? OtsuTau, Ratio KiiStatic,
    Ratio KiiOtsu, IReadOnlyList<GroupRatio> ByRelation, IReadOnlyList<GroupRatio> ByLanguage, ClassMeans Cs2Static,
    ClassMeans Cs2Otsu, WelchTest WelchStatic, WelchTest WelchOtsu, double? Cs1Mean, double? Cs2Mean,
    double? Cs2AllMean, NullSummary Null, IReadOnlyList<ArmMean> KlVsQl, IReadOnlyList<ArmMean> Mapping,
    IReadOnlyList<EmptyIntersection> EmptyIntersections, Planted Planted,
    [property: JsonIgnore] IReadOnlyList<ConsistencyRecord> ClassifiedCells,
    [property: JsonIgnore] IReadOnlyList<NullCell> NullCells)
{
    public ArmMean? Arm(string analysis, string arm, string split, bool control, double alpha, string threshold,
        string cls) =>
        (analysis == "kl_vs_ql" ? KlVsQl : Mapping).FirstOrDefault(a => a.Arm == arm && a.Split == split &&
            a.Control == control && a.Alpha == alpha && a.Threshold == threshold && a.Class == cls);
}

/// <summary>The knowledge-synapse means of one variant, α and arm (the chosen columns or the random control).
/// </summary>
public sealed record SynapseResult(string Method, string Variant, double Alpha, bool Control, Estimate Dprob,
    Estimate Dact);
