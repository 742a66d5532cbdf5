using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Editing;

/// <summary>A mean over edits with its 95% bootstrap interval over facts, and what it was taken over.</summary>
public sealed record MetricStat(double Mean, double Low, double High, int Edits, int Facts)
{
    public static readonly MetricStat Empty = new(double.NaN, double.NaN, double.NaN, 0, 0);
}

/// <summary>One row of the QL Table 2 analogue: a weight op on one selection (or its control) over one class.
/// </summary>
public sealed record WeightEditRow(string Op, string Selection, bool Control, string Scheme, string Class,
    double SetSize, MetricStat Reliability, MetricStat Generalization, MetricStat GeneralizationTrain,
    MetricStat GeneralizationHeldout, MetricStat GeneralizationLanguages, MetricStat Locality, MetricStat Dppl)
{
    /// <summary>EasyEdit's Avg: the mean of the three metric means (NaN when one is undefined).</summary>
    public double Avg => (Reliability.Mean + Generalization.Mean + Locality.Mean) / 3;
}

/// <summary>An activation op (suppress ×0, enhance ×2) on one selection or its control: the edited query's Δprob and
/// Δlog-odds, and the mean of each probe group's.</summary>
public sealed record ActivationEditRow(string Op, string Selection, bool Control, string Class, double SetSize,
    MetricStat Dprob, MetricStat Dlogodds, MetricStat DprobTrain, MetricStat DprobHeldout, MetricStat DprobLanguages,
    MetricStat DprobUnrelated, MetricStat DlogoddsUnrelated);

/// <summary>Issue #17's statistics over every evaluation edit of a run.</summary>
public sealed record EditingReduction(string Method, double OtsuTau, int EvalFacts, int EvalEdits,
    IReadOnlyList<WeightEditRow> Weight, IReadOnlyList<ActivationEditRow> Activation)
{
    public const string All = "all", Ki = "ki", Kii = "kii", Static = "static", Otsu = "otsu";

    /// <summary>Edited queries whose selection was empty, by selection (left out of its rows).</summary>
    public IReadOnlyDictionary<string, int> EmptySets { get; init; } = new Dictionary<string, int>();

    /// <summary>The summary's selection names: the five selections, and <c>random</c>, the control of
    /// <c>cas</c>.</summary>
    public static readonly string[] SummarySelections = [.. EditSelections.Names, "random"];

    public WeightEditRow? WeightRow(string op, string selection, string cls, string scheme = Static)
    {
        bool control = selection == "random";
        string name = control ? EditTuner.Cas : selection;
        return Weight.FirstOrDefault(r => r.Op == op && r.Selection == name && r.Control == control &&
                                          r.Scheme == scheme && r.Class == cls);
    }

    public ActivationEditRow? ActivationRow(string op, string selection, bool control) =>
        Activation.FirstOrDefault(r => r.Op == op && r.Selection == selection && r.Control == control);

    /// <param name="edits">The evaluation edits (other phases are left out here).</param>
    /// <param name="otsuTau">The method's Otsu threshold on CS₂ (NaN: no Otsu classes).</param>
    public static EditingReduction Compute(IReadOnlyList<EditRecord> edits, double otsuTau, long seed,
        int resamples)
    {
        // An empty selection (no agnostic neuron, a language not localized) edits nothing: its rows would only
        // dilute the selection's figures with "unchanged", so they are left out and each row says how many it holds.
        var eval = edits.Where(e => e.Phase == EditSampling.Eval && e.SetSize > 0).ToList();
        string method = eval.FirstOrDefault()?.Method ?? "";
        var weight = new List<WeightEditRow>();
        var activation = new List<ActivationEditRow>();
        foreach (var group in eval.GroupBy(e => (e.Op, e.Selection, e.Control))
                     .OrderBy(g => g.Key.Op, StringComparer.Ordinal)
                     .ThenBy(g => Array.IndexOf(EditSelections.Names, g.Key.Selection)).ThenBy(g => g.Key.Control))
        {
            var (op, selection, control) = group.Key;
            var rows = group.ToList();
            MetricStat Stat(IReadOnlyList<EditRecord> r, string metric, Func<EditRecord, double> f) =>
                Of(r, f, seed, $"{op}|{selection}|{control}|{metric}", resamples);
            if (op is "suppress" or "enhance")
            {
                activation.Add(new ActivationEditRow(op, selection, control, All, rows.Average(r => r.SetSize),
                    Stat(rows, "dprob", r => r.Dprob), Stat(rows, "dlogodds", r => r.Dlogodds),
                    Stat(rows, "dprob_train", r => r.Groups.DprobTrain),
                    Stat(rows, "dprob_heldout", r => r.Groups.DprobHeldout),
                    Stat(rows, "dprob_languages", r => r.Groups.DprobLanguages),
                    Stat(rows, "dprob_unrelated", r => r.Groups.DprobUnrelated),
                    Stat(rows, "dlogodds_unrelated", r => r.Groups.DlogoddsUnrelated)));
                continue;
            }
            foreach (var (scheme, cls, members) in Classes(rows, otsuTau))
                weight.Add(new WeightEditRow(op, selection, control, scheme, cls,
                    members.Count == 0 ? double.NaN : members.Average(r => r.SetSize),
                    Stat(members, $"{scheme}|{cls}|reliability", r => r.Reliability),
                    Stat(members, $"{scheme}|{cls}|generalization", r => r.Generalization),
                    Stat(members, $"{scheme}|{cls}|generalization_train", r => r.GeneralizationTrain),
                    Stat(members, $"{scheme}|{cls}|generalization_heldout", r => r.GeneralizationHeldout),
                    Stat(members, $"{scheme}|{cls}|generalization_languages", r => r.GeneralizationLanguages),
                    Stat(members, $"{scheme}|{cls}|locality", r => r.Locality),
                    Stat(members, $"{scheme}|{cls}|dppl", r => r.Dppl)));
        }
        var all = edits.Where(e => e.Phase == EditSampling.Eval).ToList();
        return new EditingReduction(method, otsuTau, all.Select(e => e.FactId).Distinct().Count(), all.Count,
            weight, activation)
        {
            EmptySets = all.Where(e => e.SetSize == 0 && !e.Control && e.Op == "erase")
                .GroupBy(e => e.Selection).OrderBy(g => Array.IndexOf(EditSelections.Names, g.Key))
                .ToDictionary(g => g.Key, g => g.Count()),
        };
    }

    /// <summary>The class memberships: all, then K_I and K_II under the static threshold (the record's class) and
    /// under Otsu's (CS₂ against <paramref name="otsuTau"/>); an unclassified fact is only in <c>all</c>.</summary>
    private static IEnumerable<(string Scheme, string Class, List<EditRecord> Rows)> Classes(List<EditRecord> rows,
        double otsuTau)
    {
        yield return (Static, All, rows);
        yield return (Static, Ki, rows.Where(r => r.ClassStatic == ConsistencyRecord.Consistent).ToList());
        yield return (Static, Kii, rows.Where(r => r.ClassStatic == ConsistencyRecord.Inconsistent).ToList());
        if (!double.IsFinite(otsuTau))
            yield break;
        yield return (Otsu, Ki, rows.Where(r => double.IsFinite(r.Cs2) && r.Cs2 >= otsuTau).ToList());
        yield return (Otsu, Kii, rows.Where(r => double.IsFinite(r.Cs2) && r.Cs2 < otsuTau).ToList());
    }

    /// <summary>The mean of the defined values, pooled over edits, and its bootstrap interval over facts.</summary>
    public static MetricStat Of(IReadOnlyList<EditRecord> rows, Func<EditRecord, double> value, long seed, string name,
        int resamples)
    {
        var facts = rows.Select(r => (r.FactId, V: value(r))).Where(x => double.IsFinite(x.V))
            .GroupBy(x => x.FactId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (Sum: g.Sum(x => x.V), N: g.Count())).ToList();
        if (facts.Count == 0)
            return MetricStat.Empty;
        double mean = facts.Sum(f => f.Sum) / facts.Sum(f => f.N);
        var rng = new Random((int)(StableHash.Seeded(seed, "editing|" + name) & 0x7fffffff));
        var (low, high) = FactBootstrap.Interval(facts, rng, resamples);
        return new MetricStat(mean, low, high, facts.Sum(f => f.N), facts.Count);
    }
}
