using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Records;
using Xunit;
using static KnPipeline.Tests.Localization.SyntheticAttributions;

namespace KnPipeline.Tests.Localization;

/// <summary>The per-fact analyses (refined sets, MATRICE rows, leave-one-language-out arms) on synthetic facts.
/// </summary>
public class LocalizationStageTests
{
    private const double T = 0.2;
    private const long Seed = 1234;

    private static LocalizationStage Stage(int width = Width, bool lolo = true) =>
        new(new LocalizationOptions { Lolo = lolo }, T, width, Seed);

    // Ã shared by every query of the first test: above τ = 0.3 at 4 (1.0), 1 (0.8), 7 (0.5), 5 (0.35); 3 (0.25)
    // is above t = 0.2 only.
    private static readonly float[] Shared = [0.1f, 0.8f, -0.2f, 0.25f, 1.0f, 0.35f, 0f, 0.5f];

    [Fact]
    public void ASetOfMoreThanHalfALayerGetsAnEmptyRandomArmInsteadOfStoppingTheRun()
    {
        float[] scales = [0.5f, 1f, 2f];
        var attributed = new[] { "fr", "de", "en" }.SelectMany(l => Enumerable.Range(0, 3).Select(k =>
            Of(l, k, Shared.Select(x => x * scales[k]).ToArray()))).ToList();
        // Three of layer 2's four units are agnostic: no three other units exist to match them.
        var trials = Stage(lolo: true).Analyze(Group(attributed)).Trials;
        Assert.NotEmpty(trials);
        Assert.All(trials.Where(t => t.Arm == "matrice"), t => Assert.True(t.Set.Count > 0));
        Assert.All(trials.Where(t => t.Arm == "random"), t => Assert.Equal(0, t.Set.Count));
    }

    [Fact]
    public void AFactWhoseQueriesAllAgreeHasNoUncertaintyAnywhere()
    {
        float[] scales = [0.5f, 1f, 2f];
        double[] probs = [0.9, 0.5, 0.2];
        var attributed = new[] { "fr", "de", "en" }.SelectMany(l => Enumerable.Range(0, 3).Select(k =>
            Of(l, k, Shared.Select(x => x * scales[k]).ToArray(), prob: probs[k]))).ToList();
        // Four units a layer leave no room for the random arm's draws: this test is about the tables only.
        var result = Stage(lolo: false).Analyze(Group(attributed));

        // Every variant pair, once.
        Assert.Equal(9, result.Matrice.Count);
        Assert.Equal(["mean-std×mean-std"], result.Matrice.Where(m => m.IsDefault).Select(m => m.Variant));
        Assert.Equal(9, result.Matrice.Select(m => m.Variant).Distinct().Count());
        var d = result.Matrice.Single(m => m.IsDefault);
        Assert.Equal(("F1", "P36", "dai", false, Width), (d.FactId, d.Relation, d.Method, d.Guessable, d.FfnWidth));
        Assert.Equal(["de", "en", "fr"], d.Languages);
        Assert.Empty(d.LeftOut);
        var (agnosticLayers, agnosticUnits) = Neurons([4, 1, 7, 5]);
        Assert.Equal(agnosticLayers, d.AgnosticLayer);             // [2, 1, 2, 2]
        Assert.Equal(agnosticUnits, d.AgnosticUnit);               // [0, 1, 3, 1]
        Assert.Equal([1.0f, 0.8f, 0.5f, 0.35f], d.AgnosticScore);
        Assert.Equal(0.0, d.LanguageSigma);
        Assert.Equal(Shared, d.Score);                             // S = S^ℓ = Ã, exactly
        foreach (var m in result.Matrice.Where(m => !m.IsDefault))
            Assert.Empty(m.Score);

        // Confidence-weighted S^ℓ is Ã too; frequency S^ℓ is 1 on the coarse neurons (Ã > t) and 0 elsewhere.
        foreach (var lv in new[] { "mean-std", "all", "at-least-k" })
        {
            var cw = result.Matrice.Single(m => m.Variant == $"confidence-weighted×{lv}");
            Assert.Equal(agnosticUnits, cw.AgnosticUnit);
            Assert.Equal(0.0, cw.LanguageSigma, 12);
            var freq = result.Matrice.Single(m => m.Variant == $"frequency×{lv}");
            Assert.Equal(Neurons([1, 3, 4, 5, 7]).Units, freq.AgnosticUnit);
            Assert.All(freq.AgnosticScore, s => Assert.Equal(1f, s));
        }

        Assert.Equal(["de", "en", "fr"], result.FactKns.Select(k => k.Language));
        var coarse = Neurons([1, 3, 4, 5, 7]);
        foreach (var k in result.FactKns)
        {
            Assert.True(k.Localized);
            Assert.Equal((3, TemplateSplits.Train), (k.CorrectQueries, k.CellSplit));
            Assert.Equal(0.0, k.QuerySigma);
            Assert.Equal(coarse.Layers, k.RefinedLayer);           // every coarse neuron, share 1
            Assert.Equal(coarse.Units, k.RefinedUnit);
            Assert.All(k.RefinedShare, s => Assert.Equal(1f, s));
            Assert.Equal(agnosticLayers, k.LanguageLayer);        // S^ℓ > τ is the agnostic set itself
            Assert.Equal(agnosticUnits, k.LanguageUnit);
            Assert.Empty(k.SpecificUnit);
        }
    }

    [Fact]
    public void RefinedSetsUseOnlyCorrectTrainingTemplateQueriesAndNeedMinQueries()
    {
        // en: four correct training queries; neuron 0 is coarse in all, 2 in two (0.5 > 0.3), 6 in one (0.25).
        // Neuron 5 is coarse only in a held-out-template query and in a wrong one: counted, it would reach 2/6.
        var en = new List<MethodAttribution>
        {
            Of("en", 1, [1f, 0, 0.5f, 0, 0, 0, 0.1f, 0]),
            Of("en", 2, [1f, 0, 0.6f, 0, 0, 0, 0.1f, 0]),
            Of("en", 3, [1f, 0, 0.1f, 0, 0, 0, 0.7f, 0]),
            Of("en", 4, [1f, 0, 0, 0, 0, 0, 0, 0]),
        };
        var extra = new List<MethodAttribution>
        {
            Of("en", 5, [0.3f, 0, 0, 0, 0, 1f, 0, 0], split: TemplateSplits.Heldout),
            Of("en", 6, [0.3f, 0, 0, 0, 0, 1f, 0, 0], rank: 1),
            // fr: one correct training query (min_queries is 2); a wrong and a held-out one do not count.
            Of("fr", 1, [1f, 0, 0, 0, 0, 0, 0, 0]),
            Of("fr", 2, [1f, 0, 0, 0, 0, 0, 0, 0], rank: 3),
            Of("fr", 3, [1f, 0, 0, 0, 0, 0, 0, 0], split: TemplateSplits.Heldout),
        };
        var deEs = new List<MethodAttribution>
        {
            Of("de", 1, [1f, 0, 0.5f, 0, 0, 0, 0, 0]),
            Of("de", 2, [1f, 0, 0.5f, 0, 0, 0, 0, 0]),
            Of("es", 1, [1f, 0, 0.5f, 0, 0, 0, 0, 0]),
            Of("es", 2, [1f, 0, 0.5f, 0, 0, 0, 0, 0]),
        };
        var result = Stage().Analyze(Group(en.Concat(deEs).Concat(extra)));

        var e = result.FactKns.Single(k => k.Language == "en");
        Assert.True(e.Localized);
        Assert.Equal(4, e.CorrectQueries);
        Assert.Equal(Neurons([0, 2]).Layers, e.RefinedLayer);
        Assert.Equal(Neurons([0, 2]).Units, e.RefinedUnit);
        Assert.Equal([1f, 0.5f], e.RefinedShare);

        var f = result.FactKns.Single(k => k.Language == "fr");
        Assert.Equal((false, 1), (f.Localized, f.CorrectQueries));
        Assert.Empty(f.RefinedUnit);
        Assert.Empty(f.RefinedShare);
        Assert.Empty(f.LanguageUnit);
        Assert.Empty(f.SpecificUnit);
        Assert.True(double.IsNaN(f.QuerySigma));

        var d = result.Matrice.Single(m => m.IsDefault);
        Assert.Equal(["de", "en", "es"], d.Languages);
        Assert.Equal(["fr"], d.LeftOut);

        // The extra queries change neither table: the fact without them gives the same fact_kns and matrice rows.
        var bare = Stage().Analyze(Group(en.Concat(deEs).Append(extra[2])));
        Assert.Equal(Dump(bare.Matrice), Dump(result.Matrice));
        Assert.Equal(Dump(bare.FactKns), Dump(result.FactKns));
        // Held-out-template queries are evaluated by the leave-one-language-out arms; wrong ones never are.
        var enQueries = result.Trials.Where(t => t.Language == "en").SelectMany(t => t.Queries)
            .Select(q => q.TemplateId).Distinct();
        Assert.Equal(["P36-en-1", "P36-en-2", "P36-en-3", "P36-en-4", "P36-en-5"], enQueries);
        // fr is not localized, but its correct queries are evaluated against the other three languages' arms.
        var frQueries = result.Trials.Where(t => t.Language == "fr").SelectMany(t => t.Queries)
            .Select(q => q.TemplateId).Distinct();
        Assert.Equal(["P36-fr-1", "P36-fr-3"], frQueries);
        Assert.Equal(20, result.Trials.Count);                     // 4 languages with a correct query × 5 arms
    }

    [Fact]
    public void LanguageSpecificNeuronsAreThePerLanguageSetMinusTheAgnosticOne()
    {
        // Neuron 0 is strong everywhere; neuron 3 only in en.
        var attributed = new List<MethodAttribution>
        {
            Of("en", 1, [1f, 0, 0, 0.9f, 0, 0, 0, 0]), Of("en", 2, [1f, 0, 0, 0.9f, 0, 0, 0, 0]),
            Of("de", 1, [1f, 0, 0, 0, 0, 0, 0, 0]), Of("de", 2, [1f, 0, 0, 0, 0, 0, 0, 0]),
        };
        var result = Stage().Analyze(Group(attributed));
        var d = result.Matrice.Single(m => m.IsDefault);
        Assert.Equal(Neurons([0]).Units, d.AgnosticUnit);
        Assert.Equal(Neurons([0]).Layers, d.AgnosticLayer);
        var en = result.FactKns.Single(k => k.Language == "en");
        Assert.Equal(Neurons([0, 3]).Units, en.LanguageUnit);
        Assert.Equal(Neurons([3]).Units, en.SpecificUnit);
        Assert.Equal(Neurons([3]).Layers, en.SpecificLayer);
        Assert.Empty(result.FactKns.Single(k => k.Language == "de").SpecificUnit);
        // Two languages only: every B leaves one, too few to choose from.
        Assert.Empty(result.Trials);
    }

    private const int LoloWidth = 16;

    /// <summary>
    /// A fact in de, en, es, fr, three correct training queries each: a shared peak at a few neurons plus each
    /// language's own peak and noise, so every language has agnostic and specific neurons. Seeded.
    /// </summary>
    private static List<MethodAttribution> FourLanguages(int seed, string? randomLanguage = null)
    {
        var rng = new Random(seed);
        var other = new Random(seed + 1);          // the random language's own draws: the others' noise is unchanged
        int n = Layers.Length * LoloWidth;
        var list = new List<MethodAttribution>();
        string[] languages = ["de", "en", "es", "fr"];
        for (int l = 0; l < languages.Length; l++)
            for (int k = 0; k < 3; k++)
            {
                var a = new float[n];
                for (int i = 0; i < n; i++)
                    a[i] = (float)(rng.NextDouble() * 0.25);
                if (languages[l] == randomLanguage)
                    for (int i = 0; i < n; i++)
                        a[i] = (float)other.NextDouble();
                else
                {
                    foreach (int i in new[] { 3, 17, 20 })
                        a[i] += 0.8f;
                    a[5 + 7 * l] += 0.7f;
                }
                list.Add(Of(Query(languages[l], k + 1), a, prob: 0.3 + 0.1 * k, width: LoloWidth));
            }
        // A held-out-template query in en: evaluated, never localized.
        var held = new float[n];
        held[30] = 1f;
        list.Add(Of(Query("en", 9, TemplateSplits.Heldout), held, width: LoloWidth));
        return list;
    }

    private static string Arms(LoloTrial t) => Dump(new { t.Arm, t.SourceLanguage, t.Set.Layers, t.Set.Units });

    [Fact]
    public void TheLeftOutLanguagesDataNeverChangesItsOwnArms()
    {
        var stage = Stage(LoloWidth);
        var before = stage.Analyze(Group(FourLanguages(7)));
        var after = stage.Analyze(Group(FourLanguages(7, randomLanguage: "en")));
        Assert.Equal(20, before.Trials.Count);                     // 4 languages × 5 arms
        Assert.Equal(20, after.Trials.Count);

        var enBefore = before.Trials.Where(t => t.Language == "en").ToList();
        var enAfter = after.Trials.Where(t => t.Language == "en").ToList();
        Assert.Equal(LocalizationStage.Arms, enBefore.Select(t => t.Arm));
        Assert.Equal(enBefore.Select(Arms), enAfter.Select(Arms));
        Assert.NotEmpty(enBefore[0].Set.Units);                    // the matrice arm chose something

        // Sanity: en's new data does move its own agnostic neurons, so the other languages' arms see it.
        var d0 = before.Matrice.Single(m => m.IsDefault);
        var d1 = after.Matrice.Single(m => m.IsDefault);
        Assert.NotEqual(Dump(d0.Score), Dump(d1.Score));
        Assert.NotEqual(before.Trials.Where(t => t.Language != "en").Select(Arms),
            after.Trials.Where(t => t.Language != "en").Select(Arms));
    }

    [Fact]
    public void ArmsAreDeterministicAndKeepTheirContracts()
    {
        var attributed = FourLanguages(11);
        var stage = Stage(LoloWidth);
        var result = stage.Analyze(Group(attributed));
        Assert.Equal(Dump(result), Dump(Stage(LoloWidth).Analyze(Group(attributed))));
        // Batches arrive in any order: the query order does not matter either.
        Assert.Equal(Dump(result), Dump(stage.Analyze(Group(Enumerable.Reverse(attributed)))));

        var train = attributed.Where(a => a.Query.Split == TemplateSplits.Train)
            .GroupBy(a => a.Query.Language).ToDictionary(g => g.Key, g => g.Select(Scores).ToList());
        foreach (var b in new[] { "de", "en", "es", "fr" })
        {
            var arms = result.Trials.Where(t => t.Language == b).ToDictionary(t => t.Arm);
            Assert.Equal(LocalizationStage.Arms, arms.Keys);
            var others = train.Keys.Where(l => l != b).Order(StringComparer.Ordinal).ToList();
            // Evaluated on B's correct queries, held-out templates included.
            Assert.All(arms.Values, t => Assert.Equal(b == "en" ? 4 : 3, t.Queries.Count));
            Assert.All(arms.Values, t => Assert.All(t.Queries, q => Assert.Equal(b, q.Language)));

            // matrice: the default agnostic set of the other three languages alone.
            var (score, agnostic, _) = Matrice.LanguageLevel(others.Select(l =>
                Matrice.QueryLevel(train[l], QueryVariant.MeanStd, 1.0, T).Score).ToList(),
                LanguageVariant.MeanStd, 1.0, 0.3);
            var m = arms["matrice"].Set;
            Assert.Equal(Neurons(agnostic, LoloWidth).Layers, m.Layers);
            Assert.Equal(Neurons(agnostic, LoloWidth).Units, m.Units);
            Assert.NotEmpty(m.Units);

            // random: the same layer counts, disjoint from the matrice set.
            var random = arms["random"].Set;
            Assert.Equal(m.LayerCounts(), random.LayerCounts());
            Assert.Empty(random.Pairs.Intersect(m.Pairs));

            // fixed_k: the top k by S, never empty.
            var fixedK = arms["fixed_k"].Set;
            Assert.NotEmpty(fixedK.Units);
            var top = Enumerable.Range(0, score.Length).OrderByDescending(i => score[i]).ThenBy(i => i)
                .Take(fixedK.Count);
            Assert.Equal(Pairs(top.ToArray()), fixedK.Pairs);

            // single_query: the MATRICE set's size, the top of one query of another language.
            var single = arms["single_query"];
            Assert.Contains(single.SourceLanguage, others);
            Assert.Equal(m.Count, single.Set.Count);
            Assert.Contains(train[single.SourceLanguage], q => Pairs(q.Top(m.Count)).SequenceEqual(single.Set.Pairs));
            Assert.All(arms.Values.Where(t => t.Arm != "single_query"), t => Assert.Equal("", t.SourceLanguage));

            // amig: within one coarse set of every other language (the query each drew).
            var amig = arms["amig"].Set.Pairs.ToHashSet();
            foreach (var o in others)
                Assert.Contains(train[o], q => amig.IsSubsetOf(Pairs(q.Coarse(T))));
        }
    }

    private static IEnumerable<(int, int)> Pairs(int[] flat)
    {
        var (layers, units) = Neurons(flat, LoloWidth);
        return layers.Zip(units);
    }

    [Fact]
    public void WithNoAgnosticNeuronFixedKStillChoosesAndTheOtherArmsAreEmpty()
    {
        // Each language peaks at its own neuron: nothing is shared.
        var attributed = new[] { "de", "en", "es" }.SelectMany((l, j) => Enumerable.Range(1, 2).Select(k =>
        {
            var a = new float[Layers.Length * Width];
            a[2 * j] = 1f;
            a[2 * j + 1] = 0.5f * k;
            return Of(l, k, a);
        })).ToList();
        var result = Stage().Analyze(Group(attributed));
        Assert.Empty(result.Matrice.Single(m => m.IsDefault).AgnosticUnit);
        Assert.True(double.IsNaN(result.Matrice.Single(m => m.IsDefault).LanguageSigma));
        Assert.All(result.FactKns, k => Assert.True(double.IsNaN(k.QuerySigma)));
        Assert.Equal(15, result.Trials.Count);
        foreach (var t in result.Trials)
            if (t.Arm == "fixed_k")
                Assert.NotEmpty(t.Set.Units);
            else
                Assert.Empty(t.Set.Units);                         // amig too: the coarse sets are disjoint
        Assert.Empty(Stage(lolo: false).Analyze(Group(attributed)).Trials);
    }

    [Fact]
    public void EachMethodGetsItsOwnRowsInAttributionOrder()
    {
        var dai = new[] { "de", "en" }.SelectMany(l => Enumerable.Range(1, 2).Select(k => Of(l, k, Shared)));
        var amig = dai.Select(a => a with
        {
            Method = AttributionMethod.Amig,
            Result = a.Result with
            {
                Layers = [.. a.Result.Layers.Reverse().Select((x, i) => x with { Layer = i + 1 })],
            },
        });
        var result = Stage().Analyze(Group(amig.Concat(dai), guessable: true));
        Assert.Equal(["amig", "amig", "dai", "dai"], result.FactKns.Select(k => k.Method));
        Assert.Equal(18, result.Matrice.Count);
        Assert.All(result.Matrice, m => Assert.True(m.Guessable));
        var am = result.Matrice.Single(m => m.IsDefault && m.Method == "amig");
        var dm = result.Matrice.Single(m => m.IsDefault && m.Method == "dai");
        Assert.Equal([2, 1, 2, 2], dm.AgnosticLayer);
        Assert.Equal([0, 1, 3, 1], dm.AgnosticUnit);
        // amig's layers are swapped: the same units above τ sit in the other layer.
        Assert.Equal([0, 1, 3, 1], am.AgnosticUnit);
        Assert.Equal([1, 2, 1, 1], am.AgnosticLayer);
    }

    [Fact]
    public void FactGroupsGatherEachFactsCellsAndAttributions()
    {
        List<FactRecord> facts =
        [
            new("F1", "P36", "en", "France", "Paris", []),
            new("F1", "P36", "fr", "France", "Paris", [], TemplateSplits.HeldoutLanguage) { Guessable = true },
            new("F2", "P36", "en", "Japan", "Tokyo", []),
        ];
        var f1 = Of("en", 1, Shared);
        var f2 = Of(Query("en", 1, fact: "F2"), Shared);
        var f1b = Of("fr", 2, Shared);
        var groups = FactGroup.Of(facts, [f2, f1, f1b]).ToList();
        Assert.Equal(["F1", "F2"], groups.Select(g => g.FactId));
        Assert.True(groups[0].Guessable);                          // one guessable cell makes the fact guessable
        Assert.False(groups[1].Guessable);
        Assert.Equal(TemplateSplits.HeldoutLanguage, groups[0].CellSplits["fr"]);
        Assert.Equal(TemplateSplits.Train, groups[0].CellSplits["en"]);
        Assert.Equal([f1, f1b], groups[0].Attributed);
        Assert.Equal([f2], groups[1].Attributed);
    }

    [Fact]
    public void AHeldOutLanguageIsEvaluatedButNeverLocalized()
    {
        var attributed = new[] { "de", "en", "es" }.SelectMany(l => Enumerable.Range(1, 2).Select(k =>
            Of(l, k, [1f, 0, 0.5f, 0, 0, 0, 0, 0]))).ToList();
        // fr is held out as a language: its (correct) queries carry that split, whatever their template's.
        attributed.Add(Of("fr", 1, [1f, 0, 0, 0, 0, 0, 0, 0], split: TemplateSplits.HeldoutLanguage));
        attributed.Add(Of("fr", 2, [1f, 0, 0, 0, 0, 0, 0, 0], split: TemplateSplits.HeldoutLanguage));
        var cells = new Dictionary<string, string>
        {
            ["de"] = TemplateSplits.Train, ["en"] = TemplateSplits.Train, ["es"] = TemplateSplits.Train,
            ["fr"] = TemplateSplits.HeldoutLanguage,
        };
        var result = Stage().Analyze(new FactGroup(Fact, Relation, false, cells, attributed));
        var fr = result.FactKns.Single(k => k.Language == "fr");
        Assert.Equal((TemplateSplits.HeldoutLanguage, 0, false), (fr.CellSplit, fr.CorrectQueries, fr.Localized));
        Assert.Equal(["fr"], result.Matrice.Single(m => m.IsDefault).LeftOut);
        var frTrials = result.Trials.Where(t => t.Language == "fr").ToList();
        Assert.Equal(LocalizationStage.Arms, frTrials.Select(t => t.Arm));
        Assert.All(frTrials, t => Assert.Equal(2, t.Queries.Count));
        // The other three agree on neurons 0 and 2: fr is tested on exactly them.
        Assert.Equal([1, 1], frTrials[0].Set.Layers);
        Assert.Equal([0, 2], frTrials[0].Set.Units);
    }
}
