using System.Text.Json;
using System.Text.Json.Nodes;
using KnPipeline.Runs;
using KnPipeline.Stages.Editing;
using KnPipeline.Stages.Records;

namespace KnPipeline.Hosting;

/// <summary>
/// Issue #17's statistics over every evaluation edit (<see cref="EditingReduction"/>): written to
/// <c>reduce/editing.json</c> with the dev pass's tuning, and the summary keys the issue names. Otsu classes need the
/// method's τ over all facts, which the query-localization reducer (run before this one) has just put in the summary.
/// A run without edits (editing off, or older than it) gets null keys and no file.
/// </summary>
public sealed class EditingReducer : IRunReducer
{
    public static readonly string[] Ops = ["erase", "update"];
    public static readonly string[] Classes = [EditingReduction.All, EditingReduction.Ki, EditingReduction.Kii];
    public static readonly string[] Metrics = ["reliability", "generalization", "locality", "avg", "dppl"];
    public static readonly string[] Tuned = ["lambda1", "lambda2", "beta1", "beta2", "threshold", "top_k"];

    /// <summary>The summary keys (a contract for scripts), in print order.</summary>
    public static readonly string[] Keys =
    [
        "suppress_kn_dprob_mean", "suppress_kn_dprob_ci_low", "suppress_kn_dprob_ci_high",
        "suppress_random_dprob_mean", "suppress_random_dprob_ci_low", "suppress_random_dprob_ci_high",
        "suppress_kn_unrelated_dprob_mean", "enhance_kn_dlogodds_mean", "enhance_random_dlogodds_mean",
        "update_reliability", "update_generalization", "update_locality", "update_dppl", "weights_restored",
        "edit_eval_facts",
        .. from op in Ops
            from selection in EditingReduction.SummarySelections
            from cls in Classes
            from metric in Metrics
            select $"edit_{op}_{selection}_{cls}_{metric}",
        .. Tuned.Select(t => $"tuned_{t}"),
    ];

    public string Name => "editing";

    public void Reduce(RunFolder run, JsonObject summary, CancellationToken ct)
    {
        foreach (var key in Keys)
            summary[key] = null;
        var config = File.Exists(run.ManifestPath)
            ? JsonNode.Parse(File.ReadAllText(run.ManifestPath))?["config"]
            : null;
        // Without their neuron lists: the statistics need only the set sizes, and the lists are most of a record.
        var edits = run.Rows(TableRegistry.Edits, ct).Select(e => e.WithoutNeurons()).ToList();
        var tuning = File.Exists(EditingPhase.TuningPath(run))
            ? JsonSerializer.Deserialize<EditingPhase.StoredTuning>(File.ReadAllText(EditingPhase.TuningPath(run)),
                EditingPhase.Json)
            : null;
        if (edits.Count == 0 && tuning is null)
            return;
        // A fixed order: a sharded run's parts hold the rows in another order, and float sums must not differ.
        edits = edits.OrderBy(e => e.QueryId, StringComparer.Ordinal).ThenBy(e => e.Op, StringComparer.Ordinal)
            .ThenBy(e => e.Selection, StringComparer.Ordinal).ThenBy(e => e.Control).ToList();
        string method = edits.FirstOrDefault()?.Method ?? "";
        double tau = summary[$"otsu_tau_{method}"] is JsonValue v && v.TryGetValue<double>(out var t) ? t : double.NaN;
        var r = EditingReduction.Compute(edits, tau, config?["run"]?["seed"]?.GetValue<long>() ?? 0,
            config?["localization"]?["bootstrap_resamples"]?.GetValue<int>() ?? 1000);

        bool restored = WeightsRestored(run, edits, ct);
        summary["weights_restored"] = restored;
        summary["edit_eval_facts"] = r.EvalFacts;
        if (tuning is not null)
            foreach (var (name, value) in tuning.Tuning.Values)
                summary[$"tuned_{name}"] = value;
        var suppress = r.ActivationRow("suppress", "own", false);
        var suppressRandom = r.ActivationRow("suppress", "own", true);
        summary["suppress_kn_dprob_mean"] = Finite(suppress?.Dprob.Mean);
        summary["suppress_kn_dprob_ci_low"] = Finite(suppress?.Dprob.Low);
        summary["suppress_kn_dprob_ci_high"] = Finite(suppress?.Dprob.High);
        summary["suppress_random_dprob_mean"] = Finite(suppressRandom?.Dprob.Mean);
        summary["suppress_random_dprob_ci_low"] = Finite(suppressRandom?.Dprob.Low);
        summary["suppress_random_dprob_ci_high"] = Finite(suppressRandom?.Dprob.High);
        summary["suppress_kn_unrelated_dprob_mean"] = Finite(suppress?.DprobUnrelated.Mean);
        summary["enhance_kn_dlogodds_mean"] = Finite(r.ActivationRow("enhance", "own", false)?.Dlogodds.Mean);
        summary["enhance_random_dlogodds_mean"] = Finite(r.ActivationRow("enhance", "own", true)?.Dlogodds.Mean);
        var update = r.WeightRow("update", EditTuner.Cas, EditingReduction.All);
        summary["update_reliability"] = Finite(update?.Reliability.Mean);
        summary["update_generalization"] = Finite(update?.Generalization.Mean);
        summary["update_locality"] = Finite(update?.Locality.Mean);
        summary["update_dppl"] = Finite(update?.Dppl.Mean);
        foreach (var op in Ops)
            foreach (var selection in EditingReduction.SummarySelections)
                foreach (var cls in Classes)
                {
                    var row = r.WeightRow(op, selection, cls);
                    string prefix = $"edit_{op}_{selection}_{cls}";
                    summary[$"{prefix}_reliability"] = Finite(row?.Reliability.Mean);
                    summary[$"{prefix}_generalization"] = Finite(row?.Generalization.Mean);
                    summary[$"{prefix}_locality"] = Finite(row?.Locality.Mean);
                    summary[$"{prefix}_avg"] = Finite(row?.Avg);
                    summary[$"{prefix}_dppl"] = Finite(row?.Dppl.Mean);
                }
        var file = new JsonObject
        {
            ["weights_restored"] = restored,
            ["reduction"] = JsonSerializer.SerializeToNode(r, EditingPhase.Json),
            ["tuning"] = tuning is null ? null : JsonSerializer.SerializeToNode(tuning.Tuning, EditingPhase.Json),
        };
        RunFolder.WriteAtomic(Path.Combine(run.Path, "reduce", "editing.json"),
            file.ToJsonString(EditingPhase.Json));
    }

    /// <summary>Every edit restored bit for bit (the per-edit checks, the dev pass's included), and every session's
    /// model hash at its end equal to its start.</summary>
    private static bool WeightsRestored(RunFolder run, IEnumerable<EditRecord> edits, CancellationToken ct)
    {
        bool ok = edits.All(e => e.Restored) && run.Rows(TableRegistry.EditDev, ct).All(e => e.Restored);
        string path = EditingPhase.SessionsPath(run);
        if (!File.Exists(path))
            return ok;
        foreach (var line in File.ReadLines(path).Where(l => l.Length > 0))
        {
            var s = JsonNode.Parse(line)!;
            ok &= s["start_hash"]?.ToString() == s["end_hash"]?.ToString() &&
                  s["edits_restored"]?.GetValue<bool>() == true;
        }
        return ok;
    }

    private static double? Finite(double? x) => x is { } d && double.IsFinite(d) ? d : null;

}
