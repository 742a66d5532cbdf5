using System.Text.Json;
using System.Text.Json.Nodes;
using KnPipeline.Runs;
using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Records;
using static KnPipeline.Stages.Localization.QueryLocalizationStatistics;

namespace KnPipeline.Hosting;

/// <summary>
/// Issue #16's statistics over all facts (<see cref="QueryLocalizationReduction"/>), for every method: written to
/// <c>reduce/query_localization.json</c>, with the summary keys the issue names. Otsu's τ needs every fact's CS₂,
/// and the Otsu classes of the intervention rows follow from it, so both are computed here and not per chunk.
/// A run without the <c>consistency</c> table (the study disabled, or a run older than it) gets null keys and no
/// file.
/// </summary>
public sealed class QueryLocalizationReducer : IRunReducer
{
    /// <summary>The summary keys that do not depend on the run's methods (a contract for scripts), in print order;
    /// each method adds <c>kii_ratio_static_&lt;m&gt;</c>, <c>kii_ratio_otsu_&lt;m&gt;</c> and
    /// <c>otsu_tau_&lt;m&gt;</c>.</summary>
    public static readonly string[] Keys =
    [
        "kii_ratio_static", "kii_ratio_otsu", "cs2_mean_ki", "cs2_mean_kii", "cs2_null_same_object_mean",
        "cs2_null_other_object_mean", "kl_shared_suppress_dprob_ki", "kl_shared_suppress_dprob_kii",
        "ql_own_suppress_dprob_ki", "ql_own_suppress_dprob_kii",
        .. from arm in new[] { "own", "neighbour", "intersection", "random" }
            from op in new[] { "suppress", "enhance" }
            from cls in new[] { "ki", "kii" }
            select $"mapping_{arm}_{op}_dprob_{cls}",
        "synapse_query_dprob", "synapse_random_dprob", "synapse_query_dact", "synapse_random_dact",
        "cs2_generalizing", "cs2_not_generalizing",
    ];

    public static IEnumerable<string> MethodKeys(string method) =>
        [$"kii_ratio_static_{method}", $"kii_ratio_otsu_{method}", $"otsu_tau_{method}"];

    public string Name => "query_localization";

    public void Reduce(RunFolder run, JsonObject summary, CancellationToken ct)
    {
        var config = Config(run);
        foreach (var key in Keys.Concat(Configured(config).SelectMany(MethodKeys)))
            summary[key] = null;
        var r = Compute(run, ct);
        if (r.Methods.Count == 0)
            return;
        var options = new JsonSerializerOptions
        {
            WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        };
        RunFolder.WriteAtomic(Path.Combine(run.Path, "reduce", "query_localization.json"),
            JsonSerializer.Serialize(r, options));
        summary["kii_ratio_static"] = r.JointStatic.Value;
        summary["kii_ratio_otsu"] = r.JointOtsu.Value;
        foreach (var m in r.PerMethod)
        {
            summary[$"kii_ratio_static_{m.Method}"] = m.KiiStatic.Value;
            summary[$"kii_ratio_otsu_{m.Method}"] = m.KiiOtsu.Value;
            summary[$"otsu_tau_{m.Method}"] = m.OtsuTau;
        }
        if (r.PerMethod.FirstOrDefault(m => m.Method == r.SummaryMethod) is { } main)
        {
            summary["cs2_mean_ki"] = main.Cs2Static.Cs2Consistent;
            summary["cs2_mean_kii"] = main.Cs2Static.Cs2Inconsistent;
            summary["cs2_null_same_object_mean"] = main.Null.SameObject.Cs2;
            summary["cs2_null_other_object_mean"] = main.Null.OtherObject.Cs2;
            foreach (var (cls, suffix) in new[] { (Consistent, "ki"), (Inconsistent, "kii") })
            {
                foreach (var arm in new[] { "kl_shared", "ql_own" })
                    summary[$"{arm}_suppress_dprob_{suffix}"] =
                        main.Arm("kl_vs_ql", arm, TemplateSplits.Train, false, 0, Static, cls)?.Dprob.Mean;
                foreach (var (op, alpha) in new[] { ("suppress", 0.0), ("enhance", 2.0) })
                {
                    foreach (var arm in new[] { "own", "neighbour", "intersection" })
                        summary[$"mapping_{arm}_{op}_dprob_{suffix}"] =
                            main.Arm("mapping", arm, TemplateSplits.Train, false, alpha, Static, cls)?.Dprob.Mean;
                    // The random control of the own sets: matched to the sets the others are compared with.
                    summary[$"mapping_random_{op}_dprob_{suffix}"] =
                        main.Arm("mapping", "own", TemplateSplits.Train, true, alpha, Static, cls)?.Dprob.Mean;
                }
            }
            summary["cs2_generalizing"] = main.Planted.Cs2Generalizing;
            summary["cs2_not_generalizing"] = main.Planted.Cs2NotGeneralizing;
        }
        // The paper's rule (top-k columns) at α = 0, the knockout.
        var synapse = r.Synapses.Where(x => x.Variant == "top_k" && x.Alpha == 0).ToList();
        summary["synapse_query_dprob"] = synapse.FirstOrDefault(x => !x.Control)?.Dprob.Mean;
        summary["synapse_random_dprob"] = synapse.FirstOrDefault(x => x.Control)?.Dprob.Mean;
        summary["synapse_query_dact"] = synapse.FirstOrDefault(x => !x.Control)?.Dact.Mean;
        summary["synapse_random_dact"] = synapse.FirstOrDefault(x => x.Control)?.Dact.Mean;
    }

    /// <summary>Every method's statistics from the run folder's tables (the report computes them the same way).
    /// </summary>
    public static QueryLocalizationReduction Compute(RunFolder run, CancellationToken ct = default)
    {
        var config = Config(run);
        var settings = new QueryLocalizationReduction.Settings(
            config?["run"]?["seed"]?.GetValue<long>() ?? 0,
            config?["localization"]?["bootstrap_resamples"]?.GetValue<int>() ?? 1000,
            config?["consistency"]?["tau"]?.GetValue<double>() ?? 0.3,
            config?["consistency"]?["otsu_bins"]?.GetValue<int>() ?? 50,
            config?["consistency"]?["queries"]?.GetValue<int>() ?? 4);
        // Every table in a fixed order: a sharded run's parts hold the rows in another order than a single run's,
        // and float sums taken in another order differ in the last bits, which the merged summary must not.
        var consistency = run.Rows(TableRegistry.Consistency, ct).OrderBy(r => r.FactId, StringComparer.Ordinal)
            .ThenBy(r => r.Language, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal).ToList();
        if (consistency.Count == 0)
            return QueryLocalizationReduction.Compute([], [], [], new Dictionary<string, List<QuerySet>>(),
                new Dictionary<(string, string), int>(), [], settings);
        // The null draws from correct training-template queries only, as the cells' own sets are.
        var predictions = run.Rows(TableRegistry.Predictions, ct).OrderBy(p => p.QueryId, StringComparer.Ordinal)
            .ToList();
        var eligible = predictions.Where(p => p.Correct && p.Split == TemplateSplits.Train)
            .Select(p => p.QueryId).ToHashSet(StringComparer.Ordinal);
        // The answer of a (fact, language) cell is its gold object's first token: what answer-token neurons encode.
        var answers = predictions.GroupBy(p => (p.FactId, p.Language))
            .ToDictionary(g => g.Key, g => g.First().GoldId);
        var sets = run.Rows(TableRegistry.KnSets, ct)
            .Where(k => predictions.Count == 0 || eligible.Contains(k.QueryId))
            .OrderBy(k => k.QueryId, StringComparer.Ordinal)
            .GroupBy(k => k.Method)
            .ToDictionary(g => g.Key, g => g.Select(k => new QuerySet(k.QueryId, k.FactId, k.Relation, k.Language,
                k.TemplateId, k.Layer.Zip(k.Unit, QuerySet.Key).ToHashSet())).ToList());
        var interventions = run.Rows(TableRegistry.QlInterventions, ct)
            .OrderBy(r => r.QueryId, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)
            .ThenBy(r => r.Analysis, StringComparer.Ordinal).ThenBy(r => r.Arm, StringComparer.Ordinal)
            .ThenBy(r => r.SourceQuery, StringComparer.Ordinal).ThenBy(r => r.Control).ThenBy(r => r.Alpha).ToList();
        var synapses = run.Rows(TableRegistry.Synapses, ct)
            .OrderBy(r => r.QueryId, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)
            .ThenBy(r => r.Variant, StringComparer.Ordinal).ThenBy(r => r.Control).ThenBy(r => r.Alpha).ToList();
        return QueryLocalizationReduction.Compute(consistency, interventions, synapses, sets, answers,
            Configured(config), settings);
    }

    private static JsonNode? Config(RunFolder run) =>
        File.Exists(run.ManifestPath) ? JsonNode.Parse(File.ReadAllText(run.ManifestPath))?["config"] : null;

    private static List<string> Configured(JsonNode? config) =>
        config?["attribution"]?["methods"] is JsonArray a ? a.Select(n => n!.ToString()).ToList() : [];

}
