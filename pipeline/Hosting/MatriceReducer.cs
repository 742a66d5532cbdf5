using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KnPipeline.Runs;
using KnPipeline.Stages.Data;
using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Records;
using static KnPipeline.Stages.Localization.MatriceStatistics;

namespace KnPipeline.Hosting;

/// <summary>
/// Issue #15's statistics over all facts (<see cref="MatriceStatistics"/>), for every method: written to
/// <c>reduce/matrice.json</c> (and the per-relation top-k to <c>reduce/relation_kns.csv</c>), with the summary keys
/// of the default variant under the summary method (<c>dai</c>, else the run's first). The tables are read part by
/// part; a default record's full score vector is folded into the per-relation sums and dropped, so what stays in
/// memory is a few numbers per fact and per evaluated query. A run without the tables (localization disabled, or a
/// run older than them) gets null keys and no files.
/// </summary>
public sealed class MatriceReducer : IRunReducer
{
    /// <summary>The summary keys this reducer owns (a contract for scripts), in print order.</summary>
    public static readonly string[] Keys =
    [
        "language_agnostic_kns", "language_agnostic_fact_specific_share",
        .. LocalizationStage.Arms.SelectMany(a => new[] { $"lolo_{a}_dprob_mean", $"lolo_{a}_dprob_ci_low",
            $"lolo_{a}_dprob_ci_high" }),
        "lolo_nonempty_share", "overlap_jaccard_same_script", "overlap_jaccard_cross_script",
        "agnostic_kns_transfer", "agnostic_kns_no_transfer",
    ];

    public string Name => "matrice";

    public void Reduce(RunFolder run, JsonObject summary, CancellationToken ct)
    {
        var result = Compute(run, ct);
        foreach (var key in Keys)
            summary[key] = null;
        if (result.Methods.Count == 0)
            return;
        var options = new JsonSerializerOptions
        {
            WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        };
        RunFolder.WriteAtomic(Path.Combine(run.Path, "reduce", "matrice.json"),
            JsonSerializer.Serialize(result, options));
        RunFolder.WriteAtomic(Path.Combine(run.Path, "reduce", "relation_kns.csv"), RelationCsv(result));
        if (result.Methods.FirstOrDefault(m => m.Method == result.SummaryMethod) is not { } m)
            return;
        summary["language_agnostic_kns"] = m.AgnosticKns.Mean;
        summary["language_agnostic_fact_specific_share"] = m.FactSpecificity.Share;
        foreach (var arm in m.Lolo)
        {
            summary[$"lolo_{arm.Arm}_dprob_mean"] = arm.Mean;
            summary[$"lolo_{arm.Arm}_dprob_ci_low"] = arm.Low;
            summary[$"lolo_{arm.Arm}_dprob_ci_high"] = arm.High;
        }
        summary["lolo_nonempty_share"] = m.LoloNonemptyShare;
        summary["overlap_jaccard_same_script"] = m.Overlap.SameScript;
        summary["overlap_jaccard_cross_script"] = m.Overlap.CrossScript;
        summary["agnostic_kns_transfer"] = m.PlantedTruth.Transfer.AgnosticKns;
        summary["agnostic_kns_no_transfer"] = m.PlantedTruth.NoTransfer.AgnosticKns;
    }

    /// <summary>Every method's statistics from the run folder's tables (the report computes them the same way).
    /// </summary>
    public static MatriceReduction Compute(RunFolder run, CancellationToken ct = default)
    {
        var manifest = File.Exists(run.ManifestPath) ? JsonNode.Parse(File.ReadAllText(run.ManifestPath)) : null;
        var config = manifest?["config"];
        long seed = config?["run"]?["seed"]?.GetValue<long>() ?? 0;
        double ratio = config?["localization"]?["fact_specific_ratio"]?.GetValue<double>() ?? 0.1;
        int topK = config?["localization"]?["relation_top_k"]?.GetValue<int>() ?? 20;
        int resamples = config?["localization"]?["bootstrap_resamples"]?.GetValue<int>() ?? 1000;
        var layers = config?["attribution"]?["layers"]?.AsArray().Select(n => n!.GetValue<int>()).ToList();
        var configured = config?["attribution"]?["methods"]?.AsArray().Select(n => n!.ToString()).ToList() ?? [];
        var languages = Languages(manifest);

        // The default pair's records without their score vectors, which go into the per-relation sums as they pass.
        var defaults = new List<MatriceRecord>();
        var variants = new List<MatriceRecord>();
        var relations = new Dictionary<string, RelationKns>(StringComparer.Ordinal);
        foreach (var r in run.Rows(TableRegistry.Matrice, ct))
        {
            variants.Add(r with { Score = [] });
            if (!r.IsDefault)
                continue;
            if (!relations.TryGetValue(r.Method, out var rel))
                relations[r.Method] = rel = new RelationKns();
            rel.Add(r);
            defaults.Add(r with { Score = [] });
        }
        var factKns = run.Rows(TableRegistry.FactKns, ct).ToList();
        var lolo = run.Rows(TableRegistry.Lolo, ct).ToList();
        var transfers = Transfers(run.Rows(TableRegistry.Predictions, ct));

        var present = defaults.Select(r => r.Method).Concat(lolo.Select(r => r.Method)).ToHashSet();
        // The config's order (the first method is the main one), then any other found in the tables.
        var methods = configured.Where(present.Contains)
            .Concat(present.Except(configured).Order(StringComparer.Ordinal)).ToList();
        var results = methods.Select(method =>
        {
            var d = defaults.Where(r => r.Method == method).ToList();
            var k = factKns.Where(r => r.Method == method).ToList();
            var l = lolo.Where(r => r.Method == method).ToList();
            var overlap = Overlap(k, languages);
            return new MethodMatrice(method, d.Count, AgnosticKns(d), FactSpecific(d, ratio),
                VariantMeans(variants.Where(v => v.Method == method), ratio), overlap,
                MatriceStatistics.Lolo(l, seed, resamples), NonemptyShare(l).Share, NonemptyShare(l).Pairs,
                MatriceStatistics.Lolo(l, seed, resamples, b => ScriptOf(languages, b)),
                MatriceStatistics.Lolo(l, seed, resamples, b => FamilyOf(languages, b)),
                Planted(d, transfers, overlap.PerFact), PerLayer(d, k), Uncertainties(d, k),
                relations.TryGetValue(method, out var rel) ? rel.Top(topK, layers) : []);
        }).ToList();
        string? summaryMethod = methods.Contains("dai") ? "dai" : methods.FirstOrDefault();
        return new MatriceReduction(summaryMethod, seed, resamples, ratio, topK,
            config?["localization"]?["tau"]?.GetValue<double>(), languages.Values.OrderBy(x => x.Code,
                StringComparer.Ordinal).Select(x => new LanguageGroup(x.Code, x.Family, x.Script)).ToList(),
            results);
    }

    /// <summary>Each variant pair's mean agnostic set size over the facts with two localized languages or more, and
    /// its fact-specific share (reported beside every agnostic count).</summary>
    private static List<VariantMean> VariantMeans(IEnumerable<MatriceRecord> rows, double ratio) =>
        rows.GroupBy(r => r.Variant)
            .Select(g => (g.Key, Count: AgnosticKns(g), Specific: FactSpecific(g, ratio)))
            .Select(v => new VariantMean(v.Key, v.Count.Facts, v.Count.Mean, v.Specific.Share))
            .OrderBy(v => v.Variant, StringComparer.Ordinal).ToList();


    /// <summary>
    /// Family and script per language: the manifest's <c>languages</c> (from the benchmark's catalog), else the
    /// run's data folder's <c>languages.jsonl</c> (runs written before the manifest held them), else the codes
    /// alone (groups "unknown").
    /// </summary>
    public static IReadOnlyDictionary<string, LanguageInfo> Languages(JsonNode? manifest)
    {
        var found = new Dictionary<string, LanguageInfo>(StringComparer.Ordinal);
        if (manifest?["languages"] is JsonObject declared)
        {
            foreach (var (code, v) in declared)
                found[code] = LanguageInfo.FromCode(code) with
                {
                    Family = v?["family"]?.ToString() ?? "", Script = v?["script"]?.ToString() ?? "",
                };
            return found;
        }
        string? dir = manifest?["data"]?["dir"]?.ToString();
        string file = dir is null ? "" : Path.Combine(dir, RmlLamaLoader.LanguagesFile);
        if (File.Exists(file))
            foreach (var line in File.ReadLines(file).Where(l => l.Trim().Length > 0))
                if (JsonNode.Parse(line) is JsonObject o && o["language"]?.ToString() is { } code)
                    found[code] = LanguageInfo.FromCode(code) with
                    {
                        Family = o["family"]?.ToString() ?? "", Script = o["script"]?.ToString() ?? "",
                    };
        return found;
    }

    private static string ScriptOf(IReadOnlyDictionary<string, LanguageInfo> info, string code) =>
        info.GetValueOrDefault(code)?.Script is { Length: > 0 } s ? s : "unknown";

    private static string FamilyOf(IReadOnlyDictionary<string, LanguageInfo> info, string code) =>
        info.GetValueOrDefault(code)?.Family is { Length: > 0 } f ? f : "unknown";

    private static string RelationCsv(MatriceReduction result)
    {
        var sb = new StringBuilder("method,relation,rank,layer,unit,mean_score,facts\n");
        foreach (var m in result.Methods)
            foreach (var r in m.RelationKns)
                sb.Append(CultureInfo.InvariantCulture,
                    $"{m.Method},{r.Relation},{r.Rank},{r.Layer},{r.Unit},{r.MeanScore:R},{r.Facts}\n");
        return sb.ToString();
    }
}

/// <summary>What <see cref="MatriceReducer"/> writes to <c>reduce/matrice.json</c>.</summary>
public sealed record MatriceReduction(string? SummaryMethod, long Seed, int BootstrapResamples,
    double FactSpecificRatio, int RelationTopK, double? Tau, IReadOnlyList<LanguageGroup> Languages,
    IReadOnlyList<MethodMatrice> Methods);

public sealed record LanguageGroup(string Code, string Family, string Script);

/// <summary>A variant pair (<c>query×language</c>): its facts with two localized languages or more, and their mean
/// agnostic set size.</summary>
public sealed record VariantMean(string Variant, int Facts, double? AgnosticKns, double? FactSpecificShare);

/// <summary>One method's statistics under the default variant pair.</summary>
public sealed record MethodMatrice(string Method, int Facts, AgnosticCount AgnosticKns,
    FactSpecificity FactSpecificity, IReadOnlyList<VariantMean> Variants, OverlapMatrix Overlap,
    IReadOnlyList<ArmInterval> Lolo, double? LoloNonemptyShare, int LoloPairs, IReadOnlyList<ArmInterval> LoloByScript,
    IReadOnlyList<ArmInterval> LoloByFamily, PlantedTruth PlantedTruth, IReadOnlyList<LayerCount> PerLayer,
    Uncertainty Uncertainty, IReadOnlyList<RelationKn> RelationKns);
