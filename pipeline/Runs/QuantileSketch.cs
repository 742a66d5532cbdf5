using System.Text.Json.Serialization;

namespace KnPipeline.Runs;

/// <summary>
/// A mergeable quantile sketch of non-negative values with relative accuracy <see cref="Alpha"/> (DDSketch: bucket i
/// holds the values in (γ^(i−1), γ^i], γ = (1 + α)/(1 − α), and stands for 2γ^i/(γ + 1)). A chunk's marker keeps the
/// sketch of its |completeness gaps| instead of every (query, layer) value, so markers and the summary's memory stay
/// small however large the benchmark; and since a value's bucket depends only on the value, any split of the work
/// into chunks or shards merges to the same sketch and the same median, to the bit.
/// </summary>
public sealed class QuantileSketch
{
    public const double Alpha = 1e-3;
    private static readonly double Gamma = (1 + Alpha) / (1 - Alpha), LogGamma = Math.Log(Gamma);

    /// <summary>Values below this count as zero (far below any float32 gap that matters).</summary>
    public const double ZeroBelow = 1e-30;

    /// <summary>Bucket index → count. Serialized with the indices as JSON keys.</summary>
    [JsonInclude]
    public SortedDictionary<int, long> Buckets { get; private set; } = new();

    [JsonInclude]
    public long Zeros { get; private set; }

    /// <summary>NaN and infinite values are counted here and left out of the quantiles.</summary>
    [JsonInclude]
    public long NonFinite { get; private set; }

    [JsonIgnore]
    public long Count => Zeros + Buckets.Values.Sum();

    public void Add(double value)
    {
        if (!double.IsFinite(value))
        {
            NonFinite++;
            return;
        }
        value = Math.Abs(value);
        if (value < ZeroBelow)
        {
            Zeros++;
            return;
        }
        int i = (int)Math.Ceiling(Math.Log(value) / LogGamma);
        Buckets[i] = Buckets.GetValueOrDefault(i) + 1;
    }

    public static QuantileSketch Of(IEnumerable<double> values)
    {
        var s = new QuantileSketch();
        foreach (var v in values)
            s.Add(v);
        return s;
    }

    public void Merge(QuantileSketch other)
    {
        Zeros += other.Zeros;
        NonFinite += other.NonFinite;
        foreach (var (i, n) in other.Buckets)
            Buckets[i] = Buckets.GetValueOrDefault(i) + n;
    }

    /// <summary>
    /// The median (the mean of the two middle values for an even count, as for exact data), each middle value
    /// within relative error <see cref="Alpha"/>; null when the sketch is empty.
    /// </summary>
    public double? Median()
    {
        long n = Count;
        if (n == 0)
            return null;
        double lower = ValueAtRank((n - 1) / 2), upper = ValueAtRank(n / 2);
        return (lower + upper) / 2;
    }

    /// <summary>The representative value of the value of 0-based rank <paramref name="rank"/> in ascending order.</summary>
    private double ValueAtRank(long rank)
    {
        if (rank < Zeros)
            return 0;
        long seen = Zeros;
        foreach (var (i, count) in Buckets)
        {
            seen += count;
            if (rank < seen)
                return 2 * Math.Pow(Gamma, i) / (Gamma + 1);
        }
        throw new InvalidOperationException("rank outside the sketch");
    }
}
