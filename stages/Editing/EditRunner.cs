using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Editing;

/// <summary>
/// One edited query with everything its edits need: its selections (each with its control), the queries it is
/// scored on, the new object's first token by language (empty when the relation has no other first token: no
/// update), and what the record carries along (split, method, class).
/// </summary>
public sealed record EditCell(
    string Method,
    string Phase,
    string ClassStatic,
    double Cs2,
    IReadOnlyList<EditSelection> Selections,
    EditProbe Probe,
    IReadOnlyDictionary<string, int> NewTokens);

/// <summary>
/// Runs every edit of a cell on the device thread and returns one <see cref="EditRecord"/> per edit: suppress and
/// enhance through the intervention engine (the model is not touched), erase and update through
/// <see cref="ValueSlotEditor"/>, each restored and checked before the next. Predictions before the edits are read
/// once per cell; the perplexity before, once per runner, since every edit is restored.
/// </summary>
/// <param name="pplTokens">The fixed text's tokens, or null (or an MLM): ΔPPL is then NaN.</param>
public sealed class EditRunner(TransformerLM model, int padId, EditingOptions options, long seed,
    IReadOnlyList<int>? pplTokens, int batchSize = 64) : IDisposable
{
    public static readonly EditOp[] AllOps = [EditOp.Suppress, EditOp.Enhance, EditOp.Erase, EditOp.Update];

    private readonly EditEvaluator _evaluator = new(model, padId, batchSize);
    private readonly ValueSlotEditor _editor = new(model, options.UntiedEmbedding);
    private readonly Perplexity? _ppl = pplTokens is null || !model.IsCausal ? null : new Perplexity(model, padId);
    private double? _pplBefore;

    /// <summary>False once any restore left a slot different (the run's <c>weights_restored</c>, with the hashes).
    /// </summary>
    public bool AllRestored => _editor.AllRestored;

    /// <param name="lambda2">λ₂ of the updates: the dev trade-off curve passes each value of its grid.</param>
    public List<EditRecord> Run(EditCell cell, IReadOnlyCollection<EditOp>? ops = null, double? lambda2 = null)
    {
        ops ??= AllOps;
        var edited = cell.Probe.Edited;
        int newToken = cell.NewTokens.GetValueOrDefault(edited.Language, -1);
        var arms = cell.Selections
            .SelectMany(s => new[] { new Arm(s.Name, false, s.Set), new Arm(s.Name, true, s.Random) }).ToList();
        var records = new List<EditRecord>();
        EditRecord Record(string op, Arm arm) =>
            new(edited.QueryId, edited.FactId, edited.Relation, edited.Language, edited.TemplateId, cell.Phase,
                cell.Method, op, arm.Name, arm.Control, cell.ClassStatic, cell.Cs2, seed, arm.Set.Layers,
                arm.Set.Units, options.Lambda1, lambda2 ?? options.Lambda2, options.Beta1, options.Beta2,
                OptionNames.Of(options.CasScore), options.SelectionThreshold, options.SelectionTopK, -1, double.NaN,
                double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN,
                double.NaN, double.NaN, true);

        foreach (var (op, alpha) in new[] { (EditOp.Suppress, 0.0), (EditOp.Enhance, 2.0) })
        {
            if (!ops.Contains(op))
                continue;
            var deltas = _evaluator.Scale(arms.Select(a => new ScalingRequest(edited, a.Set, alpha)).ToList());
            records.AddRange(arms.Zip(deltas, (a, d) => Record(Name(op), a) with
            {
                PBefore = d.PBefore, PAfter = d.PAfter, Dlogodds = d.Dlogodds,
            }));
        }

        var weightOps = ops.Where(o => o == EditOp.Erase || (o == EditOp.Update && newToken >= 0)).ToList();
        if (weightOps.Count == 0)
            return records;
        var before = _evaluator.Predict(cell.Probe, cell.NewTokens);
        double pplBefore = _ppl is null ? double.NaN : _pplBefore ??= _ppl.Of(pplTokens!);
        foreach (var op in weightOps)
            foreach (var arm in arms)
            {
                // An empty set (no matched control, nothing selected) changes nothing: no pass, no restore.
                var after = before;
                double pplAfter = pplBefore;
                bool restored = true;
                if (arm.Set.Count > 0)
                {
                    if (op == EditOp.Erase)
                        _editor.Erase(arm.Set);
                    else
                        _editor.Update(arm.Set, edited.TargetIds[0], newToken, options.Lambda1,
                            lambda2 ?? options.Lambda2);
                    after = _evaluator.Predict(cell.Probe, cell.NewTokens);
                    pplAfter = _ppl is null ? double.NaN : _ppl.Of(pplTokens!);
                    restored = _editor.Restore();
                }
                var s = EditEvaluator.Score(op, before, after);
                records.Add(Record(Name(op), arm) with
                {
                    NewObjectToken = op == EditOp.Update ? newToken : -1, Reliability = s.Reliability,
                    GeneralizationTrain = s.GeneralizationTrain, GeneralizationHeldout = s.GeneralizationHeldout,
                    GeneralizationLanguages = s.GeneralizationLanguages, Generalization = s.Generalization,
                    Locality = s.Locality, PplBefore = pplBefore, PplAfter = pplAfter,
                    PBefore = before.Edited.GoldProb, PAfter = after.Edited.GoldProb,
                    Dlogodds = new ActivationDelta(before.Edited.GoldProb, after.Edited.GoldProb).Dlogodds,
                    Restored = restored,
                });
            }
        return records;
    }

    private static string Name(EditOp op) => OptionNames.Of(op);

    public void Dispose() => _editor.Dispose();

    private sealed record Arm(string Name, bool Control, NeuronSet Set);
}
