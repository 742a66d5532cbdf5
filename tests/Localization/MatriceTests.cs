using KnPipeline.Stages.Localization;
using Xunit;
using static KnPipeline.Tests.Localization.SyntheticAttributions;

namespace KnPipeline.Tests.Localization;

/// <summary>MATRICE's pure scores (DESIGN §4) on inputs whose answers are known by construction.</summary>
public class MatriceTests
{
    private const double Tau = 0.3, T = 0.2;

    // Ã of every query below (the maximum is 1): above τ = 0.3 at 4 (1.0), 1 (0.8), 7 (0.5), 5 (0.35); 3 (0.25)
    // is above t = 0.2 only.
    private static readonly float[] Shared = [0.1f, 0.8f, -0.2f, 0.25f, 1.0f, 0.35f, 0f, 0.5f];

    /// <summary>The same Ã at three scales (powers of two, so the normalization is exact) and three confidences.
    /// </summary>
    private static List<QueryScores> Agreeing() =>
    [
        Scores("q1", Shared.Select(x => x * 0.5f).ToArray(), prob: 0.9),
        Scores("q2", Shared, prob: 0.5),
        Scores("q3", Shared.Select(x => x * 2f).ToArray(), prob: 0.2),
    ];

    [Fact]
    public void NormalizationDividesByTheMaximumAndANonPositiveMaximumSelectsNothing()
    {
        var q = Scores("q", [0.2f, -0.4f, 0.8f, 0.4f, 0f, 0.8f, 0.1f, 0.3f]);
        Assert.Equal([0.25f, -0.5f, 1f, 0.5f, 0f, 1f, 0.125f, 0.375f], q.Normalized);
        Assert.Equal([0, 2, 3, 5, 7], q.Coarse(0.2));
        // Top by raw attribution, ties by index.
        Assert.Equal([2, 5, 3], q.Top(3));
        var negative = Scores("n", [-0.2f, -0.1f, 0f, -3f, 0f, 0f, 0f, 0f]);
        Assert.All(negative.Normalized, x => Assert.Equal(0f, x));
        Assert.Empty(negative.Coarse(0.2));
    }

    [Fact]
    public void AgreeingQueriesHaveNoQueryUncertaintyAndEveryVariantReturnsTheirCommonScores()
    {
        var queries = Agreeing();
        var (meanStd, sigma) = Matrice.QueryLevel(queries, QueryVariant.MeanStd, 1.0, T);
        Assert.All(sigma, s => Assert.Equal(0.0, s));
        Assert.Equal(Shared.Select(x => (double)x), meanStd);

        var (weighted, sigma2) = Matrice.QueryLevel(queries, QueryVariant.ConfidenceWeighted, 1.0, T);
        Assert.Equal(sigma, sigma2);
        for (int i = 0; i < Shared.Length; i++)
            Assert.Equal(Shared[i], weighted[i], 12);

        var (frequency, _) = Matrice.QueryLevel(queries, QueryVariant.Frequency, 1.0, T);
        Assert.Equal([0, 1, 0, 1, 1, 1, 0, 1], frequency.Select(f => Math.Round(f, 12)));
    }

    [Fact]
    public void QueryLevelVariantsOnDisagreeingQueries()
    {
        // Two queries of one neuron each: Ã = (1, 0.5) and (0.2, 1) at neurons 0 and 1; the rest 0.
        List<QueryScores> queries =
        [
            Scores("q1", [1f, 0.5f, 0, 0, 0, 0, 0, 0], prob: 0.75),
            Scores("q2", [0.2f, 1f, 0, 0, 0, 0, 0, 0], prob: 0.25),
        ];
        var (s, sigma) = Matrice.QueryLevel(queries, QueryVariant.MeanStd, 1.0, T);
        Assert.Equal(0.4, sigma[0], 6);                        // population std of (1, 0.2)
        Assert.Equal(0.25, sigma[1], 6);
        Assert.Equal(0.6 - 0.4, s[0], 6);
        Assert.Equal(0.75 - 0.25, s[1], 6);
        var (halfLambda, _) = Matrice.QueryLevel(queries, QueryVariant.MeanStd, 0.5, T);
        Assert.Equal(0.6 - 0.2, halfLambda[0], 6);
        var (w, _) = Matrice.QueryLevel(queries, QueryVariant.ConfidenceWeighted, 1.0, T);
        Assert.Equal(0.75 * 1 + 0.25 * 0.2, w[0], 6);
        Assert.Equal(0.75 * 0.5 + 0.25 * 1, w[1], 6);
        var (f, _) = Matrice.QueryLevel(queries, QueryVariant.Frequency, 1.0, 0.6);
        Assert.Equal([0.5, 0.5, 0, 0, 0, 0, 0, 0], f);
        Assert.Throws<ArgumentException>(() => Matrice.QueryLevel([], QueryVariant.MeanStd, 1.0, T));
    }

    [Fact]
    public void IdenticalLanguagesHaveNoLanguageUncertaintyAndTheirAgnosticSetIsEverythingAboveTau()
    {
        var s = Shared.Select(x => (double)x).ToArray();
        foreach (var variant in Enum.GetValues<LanguageVariant>())
        {
            var (score, agnostic, sigma) = Matrice.LanguageLevel([s, s.ToArray(), s.ToArray()], variant, 1.0, Tau);
            Assert.All(sigma, x => Assert.Equal(0.0, x));
            Assert.Equal(s, score);
            Assert.Equal([4, 1, 7, 5], agnostic);                // by descending score
        }
    }

    // Three languages' S^ℓ over four neurons, τ = 0.3 (the hand computation is in each comment).
    private static readonly double[][] ThreeLanguages =
    [
        [0.9, 0.6, 0.2, 0.2],
        [0.9, 0.3, 0.4, 0.0],
        [0.6, 0.6, 0.4, 0.8],
    ];

    [Fact]
    public void MeanStdOverLanguagesOnAHandComputedExample()
    {
        var (score, agnostic, sigma) = Matrice.LanguageLevel(ThreeLanguages, LanguageVariant.MeanStd, 1.0, Tau);
        // Neuron 0: mean 0.8, deviations (.1, .1, −.2) → σ = √(0.06/3) = √0.02.
        // Neuron 1: mean 0.5, deviations (.1, −.2, .1) → σ = √0.02.
        // Neuron 2: mean 1/3, deviations (−2, 1, 1)/15 → σ = √2/15.
        // Neuron 3: mean 1/3, deviations (−2, −5, 7)/15 → σ = √26/15.
        double[] wantSigma = [Math.Sqrt(0.02), Math.Sqrt(0.02), Math.Sqrt(2) / 15, Math.Sqrt(26) / 15];
        double[] wantScore = [0.8 - wantSigma[0], 0.5 - wantSigma[1], 1.0 / 3 - wantSigma[2], 1.0 / 3 - wantSigma[3]];
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(wantSigma[i], sigma[i], 12);
            Assert.Equal(wantScore[i], score[i], 12);
        }
        // 0.6586 and 0.3586 pass τ; 0.2391 and −0.0066 do not (neuron 3 is 0.8 in one language only).
        Assert.Equal([0, 1], agnostic);
        var (_, loose, _) = Matrice.LanguageLevel(ThreeLanguages, LanguageVariant.MeanStd, 0.0, Tau);
        Assert.Equal([0, 1, 2, 3], loose);                       // λ = 0: the plain means 0.8, 0.5, 1/3, 1/3
    }

    [Fact]
    public void AllAndAtLeastKOnAHandComputedExample()
    {
        var (min, all, _) = Matrice.LanguageLevel(ThreeLanguages, LanguageVariant.All, 1.0, Tau);
        Assert.Equal([0.6, 0.3, 0.2, 0.0], min);
        Assert.Equal([0], all);                                  // neuron 1's minimum is 0.3, not above τ

        // k = ⌈3/2⌉ = 2: the second largest S^ℓ.
        var (second, atLeastK, sigma) = Matrice.LanguageLevel(ThreeLanguages, LanguageVariant.AtLeastK, 1.0, Tau);
        Assert.Equal([0.9, 0.6, 0.4, 0.2], second);
        Assert.Equal([0, 1, 2], atLeastK);
        Assert.Equal(Math.Sqrt(0.02), sigma[0], 12);             // σ does not depend on the variant

        // Four languages: k = 2 again; neuron 0 is above τ in two of them, neuron 1 in one.
        double[][] four = [[0.5, 0.9], [0.4, 0.1], [0.1, 0.2], [0.2, 0.0]];
        var (s4, a4, _) = Matrice.LanguageLevel(four, LanguageVariant.AtLeastK, 1.0, Tau);
        Assert.Equal([0.4, 0.2], s4);
        Assert.Equal([0], a4);
        // The input is not reordered by the sort the variant does.
        Assert.Equal([0.5, 0.9], four[0]);
    }

    [Fact]
    public void FewerThanTwoLanguagesHaveNoAgnosticNeuron()
    {
        double[] one = [0.9, 0.6, 0.2, 0.8];
        foreach (var variant in Enum.GetValues<LanguageVariant>())
        {
            var (score, agnostic, sigma) = Matrice.LanguageLevel([one], variant, 1.0, Tau);
            Assert.Empty(agnostic);
            Assert.Equal(one, score);                            // S_i is that language's S^ℓ
            Assert.All(sigma, x => Assert.Equal(0.0, x));
        }
        var none = Matrice.LanguageLevel([], LanguageVariant.MeanStd, 1.0, Tau);
        Assert.Empty(none.Score);
        Assert.Empty(none.Agnostic);
    }

    [Fact]
    public void RefinedNeuronsAreCoarseInMoreThanTheShareOfQueries()
    {
        // Four queries: neuron 4 coarse in all, 6 in two (0.5 > 0.3), 2 in one (0.25), 0 in none (0.15 < t).
        List<QueryScores> queries =
        [
            Scores("q1", [0.15f, 0, 0.9f, 0, 1f, 0, 0.5f, 0]),
            Scores("q2", [0.15f, 0, 0.1f, 0, 1f, 0, 0.6f, 0]),
            Scores("q3", [0.15f, 0, 0, 0, 1f, 0, 0.1f, 0]),
            Scores("q4", [0.15f, 0, 0, 0, 1f, 0, 0, 0]),
        ];
        var refined = Matrice.Refined(queries, T, 0.3);
        Assert.Equal([(4, 1f), (6, 0.5f)], refined);
        // At share 0.5 a neuron needs more than half of the queries.
        Assert.Equal([(4, 1f)], Matrice.Refined(queries, T, 0.5));
        Assert.Empty(Matrice.Refined([], T, 0.3));
    }
}
