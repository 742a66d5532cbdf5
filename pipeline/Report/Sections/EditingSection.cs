using System.Globalization;
using System.Text.Json;
using KnPipeline.Hosting;
using KnPipeline.Stages.Editing;

namespace KnPipeline.Report.Sections;

/// <summary>
/// Knowledge-neuron editing (issue #17): the weight edits' QL Table 2 analogue (reliability, generalization,
/// locality, ΔPPL per selection against its random control), the activation edits against random, and the dev
/// pass's trade-off curves. The numbers are the reduce phase's <c>reduce/editing.json</c>, read as written: the
/// bootstrap intervals take seconds per statistic over a real run, and a report must not disagree with the summary.
/// </summary>
public sealed class EditingSection : IReportSection
{
    public string Anchor => "editing";
    public string Title => "Editing";
    public IReadOnlyList<string> Tables => ["edits"];
    public IReadOnlyList<string> Figures => ["edit_suppress", "edit_enhance", "edit_tradeoff"];

    public const string NoData = "No data: the run made no edits (editing off, or older than it).";

    /// <summary>The file <see cref="EditingReducer"/> writes, in its own shape.</summary>
    public sealed record EditingFile(bool WeightsRestored, EditingReduction Reduction, TuningResult? Tuning);

    public static string PathOf(string runDir) => Path.Combine(runDir, "reduce", "editing.json");

    public void Write(ReportContext ctx, SectionWriter w)
    {
        string path = PathOf(ctx.Run.Path);
        var file = File.Exists(path)
            ? JsonSerializer.Deserialize<EditingFile>(File.ReadAllText(path), EditingPhase.Json)
            : null;
        if (file?.Reduction is null)
        {
            w.Text(NoData);
            return;
        }
        var r = file.Reduction;
        Intro(w, file);
        WeightTables(w, r);
        Activation(w, r);
        if (file.Tuning is { } t)
            Tradeoff(w, t);
        Reading(w, r);
    }

    private static string F(double v) =>
        double.IsFinite(v) ? v.ToString("G3", CultureInfo.InvariantCulture) : "–";

    // A no-break space inside the interval: a narrow cell then breaks only between the mean and its interval.
    private static string Ci(MetricStat s) =>
        double.IsFinite(s.Mean) ? $"{F(s.Mean)} [{F(s.Low)},\u00a0{F(s.High)}]" : "–";

    /// <summary>A perplexity change: an update can raise perplexity a millionfold, and "2.29E+12" reads badly, so
    /// large values are written as a power of ten.</summary>
    public static string Ppl(double v)
    {
        if (!double.IsFinite(v))
            return "–";
        // From 1000 on, since G3 itself would write 1331.8 as "1.33E+03".
        if (Math.Abs(v) < 1e3)
            return F(v);
        int e = (int)Math.Floor(Math.Log10(Math.Abs(v)));
        double m = v / Math.Pow(10, e);
        // Rounding can carry the mantissa to 10 (9.996 → "10"): move it to the exponent.
        if (Math.Abs(Math.Round(m, 2)) >= 10)
            (m, e) = (m / 10, e + 1);
        return $"{m.ToString("0.##", CultureInfo.InvariantCulture)}×10{Superscript(e)}";
    }

    private static string Superscript(int e) => string.Concat(e.ToString(CultureInfo.InvariantCulture)
        .Select(c => c == '-' ? '⁻' : "⁰¹²³⁴⁵⁶⁷⁸⁹"[c - '0']));

    private static string PplCi(MetricStat s) =>
        double.IsFinite(s.Mean) ? $"{Ppl(s.Mean)} [{Ppl(s.Low)},\u00a0{Ppl(s.High)}]" : "–";

    public static string Label(string selection, bool control) => control ? $"random ({selection})" : selection;

    // Short: the table is wide, and the paragraph above it spells the classes out.
    private static string ClassText(string cls) => cls switch
    {
        EditingReduction.Ki => "K_I",
        EditingReduction.Kii => "K_II",
        _ => cls,
    };

    private static string Num(double v) => v.ToString(CultureInfo.InvariantCulture);

    private static void Intro(SectionWriter w, EditingFile file)
    {
        var r = file.Reduction;
        string tuning = file.Tuning is { } t
            ? $"The editing hyperparameters: λ₁ = {Num(t.Lambda1)}, λ₂ = {Num(t.Lambda2)}, β₁ = {Num(t.Beta1)}, " +
              $"β₂ = {Num(t.Beta2)}, threshold t = {Num(t.Threshold)}, top-k = {t.TopK} " +
              (t.Tuned
                  ? $"(β₂, t and λ₂ tuned on the dev split: {t.DevFacts} facts, {t.DevCells} cells, {t.DevEdits} " +
                    $"edits, {(t.AttributeSeconds + t.EditSeconds).ToString("0.#", CultureInfo.InvariantCulture)} s: " +
                    $"{t.AttributeSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s attributing, " +
                    $"{t.EditSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s editing)."
                  : "(as configured: the dev pass was off).")
            : "No dev pass was recorded (no tuning in the file).";
        string empty = r.EmptySets.Count == 0
            ? "No edited query had an empty selection."
            : "Empty selections (an edited query whose selection held no neuron; it edits nothing, so it is left " +
              "out of that selection's rows): " +
              string.Join(", ", r.EmptySets.Select(kv => $"`{kv.Key}` {kv.Value}")) + ".";
        w.Text($"Knowledge-neuron edits under method `{r.Method}` on {r.EvalFacts} evaluation facts " +
               $"({r.EvalEdits} edits): weight edits (erase, update) and activation edits (suppress ×0, enhance ×2) " +
               "of each selection and of a random control of the same size. " + tuning + " Weights restored " +
               $"after every edit, bit for bit: {(file.WeightsRestored ? "yes" : "**no**")}. " + empty);
    }

    /// <summary>The selections in order, each followed by its control, as the rows hold them.</summary>
    private static IEnumerable<(string Selection, bool Control)> Arms() =>
        EditSelections.Names.SelectMany(s => new[] { (s, false), (s, true) });

    private static WeightEditRow? Row(EditingReduction r, string op, string selection, bool control, string scheme,
        string cls) =>
        r.Weight.FirstOrDefault(x => x.Op == op && x.Selection == selection && x.Control == control &&
                                     x.Scheme == scheme && x.Class == cls);

    private static string[] Metrics(WeightEditRow x) =>
    [
        Ci(x.Reliability), Ci(x.Generalization), Ci(x.Locality), F(x.Avg), PplCi(x.Dppl),
    ];

    private static void WeightTables(SectionWriter w, EditingReduction r)
    {
        string[] metrics = ["Rel", "Gen", "Loc", "Avg", "ΔPPL"];
        w.Text("The analogue of QL's Table 2: each weight edit's reliability (the edit's own query), generalization " +
               "(the fact's other queries), locality (other facts unchanged), their mean (Avg) and the change of " +
               "perplexity on held-out text, by selection, each followed by its random control, and by the fact's " +
               "class under the static threshold (K_I consistent, K_II inconsistent; see Query localization). " +
               "Each cell is the mean over edits with its 95% bootstrap interval over facts; set size is the mean " +
               "number of neurons edited; – is undefined.");
        var present = Arms().Where(a => r.Weight.Any(x => x.Selection == a.Selection && x.Control == a.Control))
            .ToList();
        var missing = EditSelections.Names.Where(s => !present.Any(a => a.Selection == s)).ToList();
        w.Table(["op", "selection", "class", .. metrics, "set size", "n edits"],
            from op in EditingReducer.Ops
            from a in present
            from cls in EditingReducer.Classes
            let x = Row(r, op, a.Selection, a.Control, EditingReduction.Static, cls)
            where x is not null
            select (string[])[op, Label(a.Selection, a.Control), ClassText(cls), .. Metrics(x), F(x.SetSize),
                $"{x.Reliability.Edits}"]);
        if (missing.Count > 0)
            w.Text($"No rows for {string.Join(", ", missing.Select(s => $"`{s}`"))}: every edited query's selection " +
                   "was empty.");

        if (double.IsFinite(r.OtsuTau))
        {
            w.Text($"The same under Otsu's threshold (τ = {F(r.OtsuTau)} on CS₂, the method's over all facts).");
            w.Table(["op", "selection", "class", .. metrics, "n edits"],
                from op in EditingReducer.Ops
                from a in present
                from cls in new[] { EditingReduction.Ki, EditingReduction.Kii }
                let x = Row(r, op, a.Selection, a.Control, EditingReduction.Otsu, cls)
                where x is not null
                select (string[])[op, Label(a.Selection, a.Control), ClassText(cls), .. Metrics(x),
                    $"{x.Reliability.Edits}"]);
        }
        else
            w.Text("No Otsu classes: the run has no Otsu τ for this method.");

        w.Text("Generalization split by the kind of query (all facts, static scheme): the fact's other training " +
               "templates, its held-out templates, and its queries in other languages.");
        w.Table(["op", "selection", "Gen", "train", "held-out", "languages"],
            from op in EditingReducer.Ops
            from a in present
            let x = Row(r, op, a.Selection, a.Control, EditingReduction.Static, EditingReduction.All)
            where x is not null
            select (string[])[op, Label(a.Selection, a.Control), Ci(x.Generalization), Ci(x.GeneralizationTrain),
                Ci(x.GeneralizationHeldout), Ci(x.GeneralizationLanguages)]);
    }

    private static void Activation(SectionWriter w, EditingReduction r)
    {
        if (r.Activation.Count == 0)
        {
            w.Text("No activation edits (suppress, enhance) in this run.");
            return;
        }
        foreach (var (op, name, metric, label, of) in new (string, string, string, string,
                     Func<ActivationEditRow, MetricStat>)[]
                 {
                     ("suppress", "edit_suppress", "dprob", "Δprob", x => x.Dprob),
                     ("enhance", "edit_enhance", "dlogodds", "Δlog-odds", x => x.Dlogodds),
                 })
        {
            var selections = EditSelections.Names.Where(s => r.ActivationRow(op, s, false) is not null ||
                                                             r.ActivationRow(op, s, true) is not null).ToArray();
            if (selections.Length == 0)
                continue;
            var data = new FigureData("selection", "control", $"{metric}_mean", "ci_low", "ci_high", "edits",
                "facts", "mean_set_size");
            var (v, lo, hi) = (new double[selections.Length, 2], new double[selections.Length, 2],
                new double[selections.Length, 2]);
            for (int i = 0; i < selections.Length; i++)
                for (int c = 0; c < 2; c++)
                {
                    var row = r.ActivationRow(op, selections[i], c == 1);
                    var s = row is null ? MetricStat.Empty : of(row);
                    if (row is not null)
                        data.Add(selections[i], c == 1, s.Mean, s.Low, s.High, s.Edits, s.Facts, row.SetSize);
                    (v[i, c], lo[i, c], hi[i, c]) = (FigureData.Num(s.Mean), FigureData.Num(s.Low),
                        FigureData.Num(s.High));
                }
            string verb = op == "suppress" ? "Suppressing (×0)" : "Enhancing (×2)";
            w.Figure(name, $"{verb} each selection's neurons on the edited query against the same number of random " +
                           $"neurons in the same layers: {label} of the gold answer, mean over edits with 95% " +
                           "bootstrap intervals over facts.", data, p =>
                QueryLocalizationPlots.BarsWithIntervals(p, $"{op}: {label} against random", "selection", label,
                    selections, ["selection", "random control"], v, lo, hi, width: 900));
        }
        var counts = r.Activation.Select(x => x.Dprob.Edits).Distinct().Order().ToList();
        // No count column: the table is the page's widest, and the counts hardly differ between rows.
        w.Text("Activation edits by probe group: Δprob on the edited query, Δlog-odds, and the mean Δprob of the " +
               "fact's other training queries, its held-out queries, its queries in other languages, and unrelated " +
               $"facts' queries; each row is over {(counts.Count == 1 ? $"{counts[0]}" : $"{counts[0]} to " +
                   $"{counts[^1]}")} edits.");
        w.Table(["op", "selection", "Δprob", "Δlog-odds", "Δprob train", "Δprob held-out", "Δprob languages",
                "Δprob unrelated"],
            from op in new[] { "suppress", "enhance" }
            from a in Arms()
            let x = r.ActivationRow(op, a.Selection, a.Control)
            where x is not null
            select (string[])[op, Label(a.Selection, a.Control), Ci(x.Dprob), Ci(x.Dlogodds), Ci(x.DprobTrain),
                Ci(x.DprobHeldout), Ci(x.DprobLanguages), Ci(x.DprobUnrelated)]);
    }

    private static void Tradeoff(SectionWriter w, TuningResult t)
    {
        var points = t.Grid.Where(p => p.Step == "lambda2").ToList();
        if (points.Count > 0)
        {
            var curves = Arms().Select(a => (Name: Label(a.Selection, a.Control),
                    Points: points.Where(p => p.Selection == a.Selection && p.Control == a.Control)
                        .OrderBy(p => p.Lambda2).ToList()))
                .Where(c => c.Points.Count > 0).ToList();
            var data = new FigureData("selection", "lambda2", "locality", "reliability", "generalization", "edits",
                "chosen");
            foreach (var (name, ps) in curves)
                foreach (var p in ps)
                    data.Add(name, p.Lambda2, p.Locality, p.Reliability, p.Generalization, p.Edits,
                        p.Lambda2 == t.Lambda2);
            w.Figure("edit_tradeoff", $"The dev pass's λ₂ step: reliability against locality of each selection's " +
                                      $"updates (and `cas`'s random control) at λ₂ = " +
                                      $"{string.Join(", ", points.Select(p => p.Lambda2).Distinct().Order()
                                          .Select(Num))} (one marker shape per λ₂); larger λ₂ pushes the new " +
                                      $"answer harder and costs locality. The chosen λ₂ = {Num(t.Lambda2)} is " +
                                      "ringed. An empty selection edits nothing, which reads as reliability 0 and " +
                                      "locality 1.",
                data, p => EditingPlots.Tradeoff(p, "Dev trade-off: reliability against locality", curves
                    .Select(c => (c.Name, c.Points.Select(x => (FigureData.Num(x.Locality),
                        FigureData.Num(x.Reliability), x.Lambda2)).ToArray())).ToList(), t.Lambda2));
        }
        var selection = t.Grid.Where(p => p.Step == "selection" && p.Selection == EditTuner.Cas && !p.Control)
            .OrderBy(p => p.Beta2).ThenBy(p => p.Threshold).ToList();
        if (selection.Count == 0)
            return;
        w.Text($"The dev pass's selection step: the `cas` updates at the configured λ₂ for each β₂ and threshold t; " +
               "the row with the highest Avg is chosen (ties go to the earlier row).");
        w.Table(["β₂", "t", "Rel", "Gen", "Loc", "Avg", "n edits", "chosen"],
            selection.Select(p => (string[])
            [
                Num(p.Beta2), Num(p.Threshold), F(p.Reliability), F(p.Generalization), F(p.Locality), F(p.Avg),
                $"{p.Edits}", p.Beta2 == t.Beta2 && p.Threshold == t.Threshold ? "◀ chosen" : "",
            ]));
    }

    /// <summary>What the numbers show, said whichever way they come out.</summary>
    private static void Reading(SectionWriter w, EditingReduction r)
    {
        var parts = new List<string>();
        string Against(string op, MetricStat own, MetricStat random, string label)
        {
            if (!double.IsFinite(own.Mean) || !double.IsFinite(random.Mean))
                return $"{op} `own`: {label} cannot be compared with random (undefined)";
            string side = own.Mean < random.Mean ? "below" : "above";
            bool disjoint = own.High < random.Low || random.High < own.Low;
            return $"{op} `own` changes {label} by {Ci(own)} against {Ci(random)} for random neurons: " +
                   $"{side} random, with intervals that " + (disjoint ? "do not overlap" : "overlap");
        }
        if (r.ActivationRow("suppress", "own", false) is { } s && r.ActivationRow("suppress", "own", true) is { } sr)
            parts.Add(Against("Suppressing", s.Dprob, sr.Dprob, "Δprob"));
        if (r.ActivationRow("enhance", "own", false) is { } e && r.ActivationRow("enhance", "own", true) is { } er)
            parts.Add(Against("Enhancing", e.Dlogodds, er.Dlogodds, "Δlog-odds"));
        foreach (var op in EditingReducer.Ops)
        {
            var rows = r.Weight.Where(x => x.Op == op && !x.Control && x.Scheme == EditingReduction.Static &&
                                           x.Class == EditingReduction.All && double.IsFinite(x.Avg)).ToList();
            if (rows.Count == 0)
                continue;
            var best = rows.MaxBy(x => x.Avg)!;
            var control = Row(r, op, best.Selection, true, EditingReduction.Static, EditingReduction.All);
            parts.Add($"The best {op} by Avg is `{best.Selection}` ({F(best.Avg)}: Rel {F(best.Reliability.Mean)}, " +
                      $"Gen {F(best.Generalization.Mean)}, Loc {F(best.Locality.Mean)}, ΔPPL {Ppl(best.Dppl.Mean)})" +
                      (control is null ? "" : $", its random control {F(control.Avg)} (Rel " +
                          $"{F(control.Reliability.Mean)}, ΔPPL {Ppl(control.Dppl.Mean)})"));
        }
        if (parts.Count > 0)
            w.Text("Reading. " + string.Join(". ", parts) + ".");
    }
}
