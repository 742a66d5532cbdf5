using KnPipeline.Stages.Data;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Localization;

/// <summary>
/// The statistics of issue #15 over every fact of one method (docs/architecture.md, MATRICE): plain functions of
/// the <c>fact_kns</c>, <c>matrice</c>, <c>lolo</c> and <c>predictions</c> records, no I/O, so the reduce phase and
/// the report compute the same numbers. Every sum runs over facts in ordinal id order and within a fact in query
/// order, so a run merged from shards (parts read in another order) gives the same bits as a single run.
/// Our documented choices, each named where it is made:
/// <list type="bullet">
/// <item>a fact with fewer than two localized languages has no agnostic set (§4 step 6), whatever its record holds
/// (with one language, mean − λ·std over languages is that language's own score);</item>
/// <item>the Jaccard index of two empty sets is 0: no shared neuron is no agreement;</item>
/// <item>bootstrap intervals resample facts with replacement and take the 2.5th and 97.5th percentiles (linear
/// interpolation) of the resampled means over evaluated queries.</item>
/// </list>
/// </summary>
public static class MatriceStatistics
{
    /// <summary>The agnostic set a fact has by §4 step 6: empty below two localized languages.</summary>
    public static (int Layer, int Unit)[] Agnostic(MatriceRecord r) =>
        r.Languages.Length < 2 ? [] : r.AgnosticLayer.Zip(r.AgnosticUnit).ToArray();

    /// <summary>|A ∩ B| / |A ∪ B|, and 0 when both are empty (our choice: no shared neuron shows no agreement).
    /// </summary>
    public static double Jaccard<T>(IReadOnlySet<T> a, IReadOnlySet<T> b)
    {
        if (a.Count == 0 && b.Count == 0)
            return 0;
        int inter = a.Count(b.Contains);
        return (double)inter / (a.Count + b.Count - inter);
    }

    /// <summary>
    /// <c>language_agnostic_kns</c>: the mean agnostic set size over the facts with at least two localized
    /// languages; the others are counted apart (<see cref="AgnosticCount.FewLanguages"/>).
    /// </summary>
    public static AgnosticCount AgnosticKns(IEnumerable<MatriceRecord> defaults)
    {
        var facts = Sorted(defaults);
        var with = facts.Where(f => f.Languages.Length >= 2).ToList();
        return new AgnosticCount(Mean(with.Select(f => (double)f.AgnosticLayer.Length)), with.Count,
            facts.Count - with.Count);
    }

    /// <summary>
    /// Fact-specificity: an agnostic (fact, neuron) pair is fact-specific when the neuron is agnostic for at most
    /// max(1, ratio · n) facts of the fact's relation, n = the relation's facts in the run. With 6 facts per
    /// relation, 10% alone would allow none, hence the floor of one (our choice).
    /// </summary>
    public static FactSpecificity FactSpecific(IEnumerable<MatriceRecord> defaults, double ratio)
    {
        var facts = Sorted(defaults);
        var relationFacts = facts.GroupBy(f => f.Relation).ToDictionary(g => g.Key, g => g.Count());
        var agnosticFor = new Dictionary<(string, int, int), int>();
        foreach (var f in facts)
            foreach (var (layer, unit) in Agnostic(f))
                agnosticFor[(f.Relation, layer, unit)] = agnosticFor.GetValueOrDefault((f.Relation, layer, unit)) + 1;
        int pairs = 0, specific = 0;
        foreach (var f in facts)
            foreach (var (layer, unit) in Agnostic(f))
            {
                pairs++;
                if (agnosticFor[(f.Relation, layer, unit)] <= Math.Max(1, ratio * relationFacts[f.Relation]))
                    specific++;
            }
        var neurons = agnosticFor.OrderBy(kv => kv.Key.Item1, StringComparer.Ordinal).ThenBy(kv => kv.Key.Item2)
            .ThenBy(kv => kv.Key.Item3)
            .Select(kv => new RelationNeuron(kv.Key.Item1, kv.Key.Item2, kv.Key.Item3, kv.Value,
                relationFacts[kv.Key.Item1]))
            .ToList();
        return new FactSpecificity(pairs, specific, pairs == 0 ? null : (double)specific / pairs, neurons);
    }

    /// <summary>
    /// The language × language overlap: per pair of languages, the mean Jaccard of the refined sets over the facts
    /// localized in both (Jaccard(∅, ∅) = 0). Same-script and cross-script means are over (fact, pair) instances by
    /// the languages' <c>script</c>; ja–zh is apart (they share Han characters) and in neither; a pair with an
    /// unknown script is in neither and counted.
    /// </summary>
    public static OverlapMatrix Overlap(IEnumerable<FactKnRecord> factKns,
        IReadOnlyDictionary<string, LanguageInfo> info)
    {
        var cells = new SortedDictionary<(string, string), (double Sum, int N)>(PairComparer);
        var same = new List<double>();
        var cross = new List<double>();
        var jaZh = new List<double>();
        int unknown = 0;
        var perFact = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var fact in factKns.Where(r => r.Localized).GroupBy(r => r.FactId)
                     .OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var sets = fact.OrderBy(r => r.Language, StringComparer.Ordinal)
                .Select(r => (r.Language, Set: (IReadOnlySet<(int, int)>)r.RefinedLayer.Zip(r.RefinedUnit).ToHashSet()))
                .ToList();
            var jaccards = new List<double>();
            for (int i = 0; i < sets.Count; i++)
                for (int j = i; j < sets.Count; j++)
                {
                    double jac = Jaccard(sets[i].Set, sets[j].Set);
                    var key = (sets[i].Language, sets[j].Language);
                    var c = cells.GetValueOrDefault(key);
                    cells[key] = (c.Sum + jac, c.N + 1);
                    if (i == j)
                        continue;
                    jaccards.Add(jac);
                    var kind = ScriptPair(sets[i].Language, sets[j].Language, info);
                    (kind switch { PairKind.Same => same, PairKind.Cross => cross, PairKind.JaZh => jaZh, _ => null })
                        ?.Add(jac);
                    if (kind == PairKind.Unknown)
                        unknown++;
                }
            if (jaccards.Count > 0)
                perFact[fact.Key] = jaccards.Average();
        }
        var languages = cells.Keys.SelectMany(k => new[] { k.Item1, k.Item2 }).Distinct()
            .Order(StringComparer.Ordinal).ToList();
        var list = cells.Select(kv => new OverlapCell(kv.Key.Item1, kv.Key.Item2, kv.Value.Sum / kv.Value.N,
            kv.Value.N)).ToList();
        return new OverlapMatrix(languages, list, Mean(same), same.Count, Mean(cross), cross.Count, Mean(jaZh),
            jaZh.Count, unknown, perFact);
    }

    public enum PairKind { Same, Cross, JaZh, Unknown }

    /// <summary>How two languages' scripts relate; ja–zh (any zh variant) is its own kind.</summary>
    public static PairKind ScriptPair(string a, string b, IReadOnlyDictionary<string, LanguageInfo> info)
    {
        var bases = new[] { BaseCode(a), BaseCode(b) }.Order(StringComparer.Ordinal).ToArray();
        if (bases is ["ja", "zh"])
            return PairKind.JaZh;
        string sa = info.GetValueOrDefault(a)?.Script ?? "", sb = info.GetValueOrDefault(b)?.Script ?? "";
        if (sa.Length == 0 || sb.Length == 0)
            return PairKind.Unknown;
        return sa == sb ? PairKind.Same : PairKind.Cross;
    }

    private static string BaseCode(string code) => code.Split('-', '_')[0].ToLowerInvariant();

    /// <summary>
    /// Each arm's mean Δprob over every evaluated row (the one definition: the mean over evaluated queries of
    /// (p_after − p_before) / p_before) with a 95% percentile bootstrap interval over facts. Each arm has its own
    /// generator, seeded by StableHash.Seeded(seed, "lolo-bootstrap|" + arm [+ "|" + group]), so adding an arm or a
    /// group changes no other interval. Rows with a non-finite Δprob (p_before = 0) are left out and counted.
    /// </summary>
    public static IReadOnlyList<ArmInterval> Lolo(IEnumerable<LoloRecord> rows, long seed, int resamples,
        Func<string, string>? groupOf = null)
    {
        var result = new List<ArmInterval>();
        var all = rows.ToList();
        foreach (var arm in all.Select(r => r.Arm).Distinct().OrderBy(ArmOrder).ThenBy(a => a, StringComparer.Ordinal))
            foreach (var group in all.Where(r => r.Arm == arm).GroupBy(r => groupOf?.Invoke(r.Language) ?? "")
                         .OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var finite = group.Where(r => double.IsFinite(r.Dprob)).ToList();
                var facts = finite.GroupBy(r => r.FactId).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => g.OrderBy(r => r.QueryId, StringComparer.Ordinal).Aggregate((Sum: 0.0, N: 0),
                        (a, r) => (a.Sum + r.Dprob, a.N + 1)))
                    .ToList();
                string key = "lolo-bootstrap|" + arm + (groupOf is null ? "" : "|" + group.Key);
                var rng = new Random((int)(StableHash.Seeded(seed, key) & 0x7fffffff));
                double? mean = null, low = null, high = null;
                if (facts.Count > 0)
                {
                    mean = facts.Sum(f => f.Sum) / facts.Sum(f => f.N);
                    (low, high) = Bootstrap(facts, rng, resamples);
                }
                result.Add(new ArmInterval(arm, groupOf is null ? null : group.Key, mean, low, high, finite.Count,
                    facts.Count, group.Count() - finite.Count,
                    finite.Count == 0 ? 0 : finite.Average(r => (double)r.SetSize)));
            }
        return result;
    }

    private static int ArmOrder(string arm) => Array.IndexOf(LocalizationStage.Arms, arm) is var i and >= 0 ? i : 99;

    /// <summary>The 2.5th and 97.5th percentiles of the mean over the rows of facts drawn with replacement.</summary>
    public static (double Low, double High) Bootstrap(IReadOnlyList<(double Sum, int N)> facts, Random rng,
        int resamples) => FactBootstrap.Interval(facts, rng, resamples);

    /// <summary><c>lolo_nonempty_share</c>: the share of (fact, B) pairs whose matrice-arm set is non-empty.
    /// </summary>
    public static (double? Share, int Pairs) NonemptyShare(IEnumerable<LoloRecord> rows)
    {
        var pairs = rows.Where(r => r.Arm == "matrice").GroupBy(r => (r.FactId, r.Language))
            .Select(g => g.First().SetSize > 0).ToList();
        return (pairs.Count == 0 ? null : pairs.Count(x => x) / (double)pairs.Count, pairs.Count);
    }

    /// <summary>
    /// The planted truth: per fact, whether most (more than half) of its held-out-language queries are answered
    /// correctly. Facts with no held-out-language query are absent.
    /// </summary>
    public static IReadOnlyDictionary<string, bool> Transfers(IEnumerable<PredictionRecord> predictions) =>
        predictions.Where(p => p.Split == TemplateSplits.HeldoutLanguage).GroupBy(p => p.FactId)
            .ToDictionary(g => g.Key, g => 2 * g.Count(p => p.Correct) > g.Count());

    /// <summary>
    /// Agnostic set sizes (and mean overlap) of transferring against non-transferring facts. Guessable facts and
    /// facts without held-out-language queries are left out; so are facts with fewer than two localized languages,
    /// which cannot have agnostic KNs (they would measure localizability, not agnosticism). Agnostic sets use the
    /// trained languages only by construction: a held-out-language cell has no training-template query.
    /// </summary>
    public static PlantedTruth Planted(IEnumerable<MatriceRecord> defaults, IReadOnlyDictionary<string, bool> transfers,
        IReadOnlyDictionary<string, double> overlapPerFact)
    {
        var facts = Sorted(defaults);
        int guessable = facts.Count(f => f.Guessable);
        var known = facts.Where(f => !f.Guessable && transfers.ContainsKey(f.FactId)).ToList();
        int noHeldOut = facts.Count(f => !f.Guessable) - known.Count;
        var used = known.Where(f => f.Languages.Length >= 2).ToList();
        Group Of(bool t)
        {
            var g = used.Where(f => transfers[f.FactId] == t).ToList();
            var overlaps = g.Where(f => overlapPerFact.ContainsKey(f.FactId)).Select(f => overlapPerFact[f.FactId]);
            return new Group(g.Count, Mean(g.Select(f => (double)f.AgnosticLayer.Length)), Mean(overlaps));
        }
        return new PlantedTruth(Of(true), Of(false), guessable, noHeldOut, known.Count - used.Count);
    }

    /// <summary>Agnostic KNs per layer (once per fact) and language-specific KNs per layer (once per fact and
    /// language); a fact below two localized languages has no agnostic set, so its per-language sets are all specific.
    /// </summary>
    public static IReadOnlyList<LayerCount> PerLayer(IEnumerable<MatriceRecord> defaults,
        IEnumerable<FactKnRecord> factKns)
    {
        var agnostic = new SortedDictionary<int, int>();
        var specific = new SortedDictionary<int, int>();
        var few = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in defaults)
        {
            if (f.Languages.Length < 2)
                few.Add(f.FactId);
            foreach (var (layer, _) in Agnostic(f))
                agnostic[layer] = agnostic.GetValueOrDefault(layer) + 1;
        }
        foreach (var r in factKns.Where(r => r.Localized))
            foreach (int layer in few.Contains(r.FactId) ? r.LanguageLayer : r.SpecificLayer)
                specific[layer] = specific.GetValueOrDefault(layer) + 1;
        return agnostic.Keys.Union(specific.Keys).Order()
            .Select(l => new LayerCount(l, agnostic.GetValueOrDefault(l), specific.GetValueOrDefault(l))).ToList();
    }

    /// <summary>The query-level σ per localized (fact, language) and the language-level σ per fact, over the default
    /// variant's agnostic neurons (undefined, so absent, where a fact has none).</summary>
    public static Uncertainty Uncertainties(IEnumerable<MatriceRecord> defaults, IEnumerable<FactKnRecord> factKns)
    {
        var facts = Sorted(defaults).Where(f => f.Languages.Length >= 2).ToList();
        var withSet = facts.Where(f => f.AgnosticLayer.Length > 0).Select(f => f.FactId)
            .ToHashSet(StringComparer.Ordinal);
        var query = factKns.Where(r => r.Localized && withSet.Contains(r.FactId) && double.IsFinite(r.QuerySigma))
            .OrderBy(r => r.FactId, StringComparer.Ordinal).ThenBy(r => r.Language, StringComparer.Ordinal)
            .Select(r => new FactSigma(r.FactId, r.Language, r.QuerySigma)).ToList();
        var language = facts.Where(f => withSet.Contains(f.FactId) && double.IsFinite(f.LanguageSigma))
            .Select(f => new FactSigma(f.FactId, "", f.LanguageSigma)).ToList();
        return new Uncertainty(query, language);
    }

    internal static List<MatriceRecord> Sorted(IEnumerable<MatriceRecord> records) =>
        records.OrderBy(r => r.FactId, StringComparer.Ordinal).ToList();

    public static double? Mean(IEnumerable<double> values)
    {
        double sum = 0;
        int n = 0;
        foreach (var v in values)
        {
            sum += v;
            n++;
        }
        return n == 0 ? null : sum / n;
    }

    private static readonly Comparer<(string, string)> PairComparer = Comparer<(string, string)>.Create((x, y) =>
        string.CompareOrdinal(x.Item1, y.Item1) is var c and not 0 ? c : string.CompareOrdinal(x.Item2, y.Item2));

    public sealed record AgnosticCount(double? Mean, int Facts, int FewLanguages);

    /// <summary>An agnostic neuron of a relation: for how many of the relation's facts it is agnostic.</summary>
    public sealed record RelationNeuron(string Relation, int Layer, int Unit, int Facts, int RelationFacts);

    public sealed record FactSpecificity(int Pairs, int FactSpecificPairs, double? Share,
        IReadOnlyList<RelationNeuron> Neurons);

    public sealed record OverlapCell(string A, string B, double Jaccard, int Facts);

    public sealed record OverlapMatrix(IReadOnlyList<string> Languages, IReadOnlyList<OverlapCell> Cells,
        double? SameScript, int SameScriptPairs, double? CrossScript, int CrossScriptPairs, double? JaZh,
        int JaZhPairs, int UnknownScriptPairs, IReadOnlyDictionary<string, double> PerFact);

    /// <param name="Group">The script or family of B when grouped; null for all rows.</param>
    public sealed record ArmInterval(string Arm, string? Group, double? Mean, double? Low, double? High, int Rows,
        int Facts, int NonFinite, double MeanSetSize);

    public sealed record Group(int Facts, double? AgnosticKns, double? OverlapJaccard);

    public sealed record PlantedTruth(Group Transfer, Group NoTransfer, int Guessable, int NoHeldOutLanguage,
        int FewLanguages);

    public sealed record LayerCount(int Layer, int Agnostic, int Specific);

    public sealed record FactSigma(string FactId, string Language, double Sigma);

    public sealed record Uncertainty(IReadOnlyList<FactSigma> Query, IReadOnlyList<FactSigma> Language);
}
