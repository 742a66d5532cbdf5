namespace KnPipeline.Stages.Localization;

/// <summary>
/// The 95% percentile bootstrap over facts every interval of the analyses uses: facts are drawn with replacement and
/// the pooled mean of their rows (Σ sums / Σ counts) is taken, so a fact with many evaluated queries weighs as much as
/// it does in the point estimate. The generator is the caller's (seeded by the run seed and the statistic's name).
/// </summary>
public static class FactBootstrap
{
    /// <summary>The 2.5th and 97.5th percentiles (linear interpolation) of <paramref name="resamples"/> means.</summary>
    public static (double Low, double High) Interval(IReadOnlyList<(double Sum, int N)> facts, Random rng,
        int resamples)
    {
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double sum = 0;
            long n = 0;
            for (int i = 0; i < facts.Count; i++)
            {
                var f = facts[rng.Next(facts.Count)];
                sum += f.Sum;
                n += f.N;
            }
            means[r] = sum / n;
        }
        Array.Sort(means);
        return (Quantile(means, 0.025), Quantile(means, 0.975));
    }

    private static double Quantile(double[] sorted, double p)
    {
        double h = (sorted.Length - 1) * p;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
