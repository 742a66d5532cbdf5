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
    IReadOnlyDictionary<string, int> NewTokens)
{
    /// <summary>The update's new object (its canonical name); empty when there is none.</summary>
    public string NewObject { get; init; } = "";

    /// <summary>The values the selections were built with (β, t, k), when not the runner's: the dev pass builds
    /// cells at each point of its grid.</summary>
    public EditingOptions? Settings { get; init; }
}

/// <summary>
/// Runs every edit of a cell on the device thread and returns one <see cref="EditRecord"/> per edit: suppress and
/// enhance through the intervention engine (the model is not touched), erase and update through
/// <see cref="ValueSlotEditor"/>, each restored and checked before the next. Predictions before the edits are read
/// once per cell; the perplexity before, once per runner, since every edit is restored.
/// </summary>
/// <param name="pplTokens">The fixed text's tokens, or null (or an MLM): ΔPPL is then NaN.</param>
public sealed class EditRunner(TransformerLM model, int padId, EditingOptions options, long seed,
    IReadOnlyList<int>? pplTokens, int batchSize = 128) : IDisposable
{
    public static readonly EditOp[] AllOps = [EditOp.Suppress, EditOp.Enhance, EditOp.Erase, EditOp.Update];

    private readonly EditEvaluator _evaluator = new(model, padId, batchSize);
    private readonly ValueSlotEditor _editor = new(model, options.UntiedEmbedding);
    private readonly Perplexity? _ppl = pplTokens is null || !model.IsCausal ? null : new Perplexity(model, padId);
    private double? _pplBefore;

    public TransformerLM Model => model;

    /// <summary>Queries' activations at their prediction position (<see cref="EditEvaluator.Activations"/>).
    /// </summary>
    public Dictionary<string, float[]> Activations(IReadOnlyList<TokenizedQueryRecord> queries,
        IReadOnlyList<int> layers) => _evaluator.Activations(queries, layers);

    /// <summary>False once any restore left a slot different (the run's <c>weights_restored</c>, with the hashes).
    /// </summary>
    public bool AllRestored => _editor.AllRestored;

    /// <param name="lambda2">λ₂ of the updates: the dev trade-off curve passes each value of its grid.</param>
    /// <param name="arms">Which (selection, control) arms to edit (all when null): the dev pass tunes on some.</param>
    /// <param name="perplexity">Measure ΔPPL (the dev pass does not: it is not in the objective, and it is half the
    /// cost of a weight edit).</param>
    public List<EditRecord> Run(EditCell cell, IReadOnlyCollection<EditOp>? ops = null, double? lambda2 = null,
        Func<string, bool, bool>? arms = null, bool perplexity = true)
    {
        ops ??= AllOps;
        var edited = cell.Probe.Edited;
        int newToken = cell.NewTokens.GetValueOrDefault(edited.Language, -1);
        var chosen = cell.Selections
            .SelectMany(s => new[] { new Arm(s.Name, false, s.Set), new Arm(s.Name, true, s.Random) })
            .Where(a => arms is null || arms(a.Name, a.Control)).ToList();
        var records = new List<EditRecord>();
        var o = cell.Settings ?? options;
        EditRecord Record(string op, Arm arm) =>
            new(edited.QueryId, edited.FactId, edited.Relation, edited.Language, edited.TemplateId, cell.Phase,
                cell.Method, op, arm.Name, arm.Control, cell.ClassStatic, cell.Cs2, seed, arm.Set.Layers,
                arm.Set.Units, options.Lambda1, lambda2 ?? options.Lambda2, o.Beta1, o.Beta2, OptionNames.Of(o.CasScore),
                o.SelectionThreshold, o.SelectionTopK, -1, double.NaN,
                double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN,
                double.NaN, double.NaN, true);

        // Each arm's set scaled on every query of the probe, so the edited query's figures come with those of its
        // rephrasings, its other languages and the unrelated facts, from one engine call per op.
        var probe = cell.Probe.All.ToList();
        var groups = Groups(cell.Probe);
        foreach (var (op, alpha) in new[] { (EditOp.Suppress, 0.0), (EditOp.Enhance, 2.0) })
        {
            if (!ops.Contains(op) || chosen.Count == 0)
                continue;
            var deltas = _evaluator.Scale(chosen.SelectMany(a => probe.Select(q => new ScalingRequest(q, a.Set, alpha)))
                .ToList());
            records.AddRange(chosen.Select((a, i) =>
            {
                var mine = deltas.AsSpan(i * probe.Count, probe.Count).ToArray();
                return Record(Name(op), a) with
                {
                    PBefore = mine[0].PBefore, PAfter = mine[0].PAfter, Dlogodds = mine[0].Dlogodds,
                    Groups = Deltas(groups, mine),
                };
            }));
        }

        var weightOps = ops.Where(o => o == EditOp.Erase || (o == EditOp.Update && newToken >= 0)).ToList();
        if (weightOps.Count == 0)
            return records;
        var before = _evaluator.Predict(cell.Probe, cell.NewTokens);
        var ppl = perplexity ? _ppl : null;
        double pplBefore = ppl is null ? double.NaN : _pplBefore ??= ppl.Of(pplTokens!);
        foreach (var op in weightOps)
            foreach (var arm in chosen)
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
                    pplAfter = ppl is null ? double.NaN : ppl.Of(pplTokens!);
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
                    Restored = restored, NewObject = op == EditOp.Update ? cell.NewObject : "",
                    Groups = Deltas(groups, Flat(before).Zip(Flat(after), (b, a) =>
                        new ActivationDelta(b.GoldProb, a.GoldProb)).ToArray()),
                });
            }
        return records;
    }

    private static string Name(EditOp op) => OptionNames.Of(op);

    private static QueryPrediction[] Flat(ProbePredictions p) =>
        [p.Edited, .. p.Train, .. p.HeldOut, .. p.Languages, .. p.Unrelated];

    /// <summary>Each probe group's range in <see cref="EditProbe.All"/>'s order (the edited query is 0).</summary>
    private static (int Start, int Count)[] Groups(EditProbe p)
    {
        int[] counts = [p.Train.Count, p.HeldOut.Count, p.Languages.Count, p.Unrelated.Count];
        var ranges = new (int, int)[counts.Length];
        int at = 1;
        for (int i = 0; i < counts.Length; i++)
        {
            ranges[i] = (at, counts[i]);
            at += counts[i];
        }
        return ranges;
    }

    private static GroupDeltas Deltas((int Start, int Count)[] groups, ActivationDelta[] deltas)
    {
        double Mean(int g, Func<ActivationDelta, double> f) => groups[g].Count == 0
            ? double.NaN
            : deltas.Skip(groups[g].Start).Take(groups[g].Count).Average(f);
        return new GroupDeltas(Mean(0, d => d.Dprob), Mean(1, d => d.Dprob), Mean(2, d => d.Dprob),
            Mean(3, d => d.Dprob), Mean(0, d => d.Dlogodds), Mean(1, d => d.Dlogodds), Mean(2, d => d.Dlogodds),
            Mean(3, d => d.Dlogodds));
    }

    public void Dispose() => _editor.Dispose();

    private sealed record Arm(string Name, bool Control, NeuronSet Set);
}
