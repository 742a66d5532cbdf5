using System.Diagnostics;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Editing;

/// <summary>One point of the dev grid: the mean scores of one selection's (or its control's) updates.</summary>
public sealed record TuningPoint(string Step, double Beta2, double Threshold, double Lambda2, string Selection,
    bool Control, double Reliability, double Generalization, double Locality, double Dppl, int Edits)
{
    /// <summary>The objective: the mean of the defined parts of Rel, Gen and Loc (NaN when none is).</summary>
    public double Avg => MeanDefined(Reliability, Generalization, Locality);

    public static double MeanDefined(params double[] values)
    {
        var defined = values.Where(double.IsFinite).ToList();
        return defined.Count == 0 ? double.NaN : defined.Average();
    }
}

/// <summary>What the dev pass chose, the grid it chose from, and what it cost.</summary>
public sealed record TuningResult(double Lambda1, double Lambda2, double Beta1, double Beta2, double Threshold,
    int TopK, bool Tuned, int DevFacts, int DevCells, int DevEdits, double AttributeSeconds, double EditSeconds,
    IReadOnlyList<TuningPoint> Grid)
{
    /// <summary>The run's options with the chosen values in.</summary>
    public EditingOptions Apply(EditingOptions options) =>
        options.With(beta2: Beta2, threshold: Threshold, lambda2: Lambda2);

    /// <summary>The <c>tuned_&lt;name&gt;</c> values of the summary and the manifest.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IEnumerable<(string Name, double Value)> Values =>
    [
        ("lambda1", Lambda1), ("lambda2", Lambda2), ("beta1", Beta1), ("beta2", Beta2), ("threshold", Threshold),
        ("top_k", TopK),
    ];
}

/// <summary>
/// Chooses the editing hyperparameters on the dev split only (DESIGN §2, Metrics), in two steps, each by the mean of
/// reliability, generalization and locality of the <c>cas</c> updates: first the selection (β₂ and t, at the
/// configured λ₂), then λ₂ with that selection, where every selection and its control is updated at every λ₂ so the
/// step is also the trade-off curve of reliability against locality per selection (and <c>cas</c>'s random control).
/// Neither step measures ΔPPL: it is not in the objective, and it is half of a weight edit's cost. λ₁ and β₁ are not searched (only
/// β₂/β₁ changes the selection; λ₁ = 1 removes exactly the old direction's share). Ties go to the earlier grid
/// value. Deterministic: the cells, the edits and the order are fixed by the seed.
/// </summary>
public static class EditTuner
{
    public const string Cas = "cas";

    /// <param name="cellsAt">The dev cells with their selections built under the given options.</param>
    public static (TuningResult Result, List<EditRecord> Records) Tune(EditingOptions options,
        Func<EditingOptions, List<EditCell>> cellsAt, EditRunner runner, int devFacts, double attributeSeconds)
    {
        var clock = Stopwatch.StartNew();
        var grid = new List<TuningPoint>();
        var records = new List<EditRecord>();
        int cellCount = 0;
        var chosen = options;
        if (options.Tune)
        {
            double[] thresholds = options.SelectionTopK > 0 ? [options.SelectionThreshold] : [.. options.ThresholdGrid];
            var best = (Avg: double.NegativeInfinity, Options: options);
            foreach (double beta2 in options.Beta2Grid)
                foreach (double t in thresholds)
                {
                    var at = options.With(beta2: beta2, threshold: t);
                    var cells = cellsAt(at);
                    cellCount = cells.Count;
                    var rows = cells.SelectMany(c => runner.Run(c, [EditOp.Update], options.Lambda2,
                        (name, control) => name == Cas && !control, perplexity: false)).ToList();
                    records.AddRange(rows);
                    var points = Points("selection", beta2, t, options.Lambda2, rows);
                    grid.AddRange(points);
                    double avg = points.FirstOrDefault(p => p.Selection == Cas && !p.Control)?.Avg ?? double.NaN;
                    if (avg > best.Avg)
                        best = (avg, at);
                }
            chosen = best.Options;
            var curveCells = cellsAt(chosen);
            double bestLambda = options.Lambda2, bestAvg = double.NegativeInfinity;
            foreach (double l2 in options.Lambda2Grid)
            {
                var rows = curveCells.SelectMany(c => runner.Run(c, [EditOp.Update], l2,
                    (name, control) => !control || name == Cas, perplexity: false)).ToList();
                records.AddRange(rows);
                var points = Points("lambda2", chosen.Beta2, chosen.SelectionThreshold, l2, rows);
                grid.AddRange(points);
                double avg = points.FirstOrDefault(p => p.Selection == Cas && !p.Control)?.Avg ?? double.NaN;
                if (avg > bestAvg)
                    (bestAvg, bestLambda) = (avg, l2);
            }
            chosen = chosen.With(lambda2: bestLambda);
        }
        var result = new TuningResult(chosen.Lambda1, chosen.Lambda2, chosen.Beta1, chosen.Beta2,
            chosen.SelectionThreshold, chosen.SelectionTopK, options.Tune, devFacts, cellCount, records.Count,
            attributeSeconds, clock.Elapsed.TotalSeconds, grid);
        return (result, records);
    }

    /// <summary>The points of one grid value, per (selection, control): as the reduce phase pools them, empty
    /// selections left out (an empty set edits nothing), so a curve shows what editing those neurons does.</summary>
    private static List<TuningPoint> Points(string step, double beta2, double t, double lambda2,
        IReadOnlyList<EditRecord> rows) =>
        rows.Where(r => r.SetSize > 0).GroupBy(r => (r.Selection, r.Control)).OrderBy(g => Array.IndexOf(EditSelections.Names, g.Key.Selection))
            .ThenBy(g => g.Key.Control)
            .Select(g => new TuningPoint(step, beta2, t, lambda2, g.Key.Selection, g.Key.Control,
                Mean(g, r => r.Reliability), Mean(g, r => r.Generalization), Mean(g, r => r.Locality),
                Mean(g, r => r.Dppl), g.Count())).ToList();

    private static double Mean(IEnumerable<EditRecord> rows, Func<EditRecord, double> f)
    {
        var values = rows.Select(f).Where(double.IsFinite).ToList();
        return values.Count == 0 ? double.NaN : values.Average();
    }
}
