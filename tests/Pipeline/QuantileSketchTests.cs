using System.Text.Json;
using KnPipeline.Runs;
using Xunit;

namespace KnPipeline.Tests.Pipeline;

/// <summary>The gap sketch of chunk markers: accurate, independent of how the work is split, and readable from old
/// markers.</summary>
public class QuantileSketchTests
{
    private static double[] Gaps(int n, int seed)
    {
        var r = new Random(seed);
        // Gaps spread over many decades, with signs, exact zeros and a NaN, as attribution produces them.
        return Enumerable.Range(0, n)
            .Select(i => i % 97 == 0 ? 0.0 : (r.NextDouble() - 0.5) * Math.Pow(10, -r.Next(1, 12))).ToArray();
    }

    private static double ExactMedian(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).Select(Math.Abs).Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1001)]
    [InlineData(10_000)]
    public void TheMedianIsWithinTheRelativeAccuracyOfTheExactOne(int n)
    {
        var gaps = Gaps(n, n);
        double exact = ExactMedian(gaps);
        double sketched = QuantileSketch.Of(gaps).Median()!.Value;
        Assert.True(Math.Abs(sketched - exact) <= QuantileSketch.Alpha * exact + 1e-300,
            $"{sketched} vs exact {exact}");
    }

    [Fact]
    public void AnySplitMergesToTheSameMedianToTheBit()
    {
        var gaps = Gaps(5000, 7).Append(double.NaN).ToArray();
        var whole = QuantileSketch.Of(gaps);
        var merged = new QuantileSketch();
        foreach (var part in gaps.Chunk(333).Reverse())
            merged.Merge(QuantileSketch.Of(part));
        Assert.Equal(whole.Median(), merged.Median());
        Assert.Equal(whole.Count, merged.Count);
        Assert.Equal(1, merged.NonFinite);
        Assert.Equal(whole.Buckets, merged.Buckets);
    }

    [Fact]
    public void AMarkerKeepsItsSketchThroughJsonAndAnOldMarkersRawGapsStillCount()
    {
        var gaps = Gaps(500, 3);
        var marker = new ChunkMarker("s0of1-c000000", ["f"], 1, 1, 1, 0, []) { GapSketch = QuantileSketch.Of(gaps) };
        string json = JsonSerializer.Serialize(marker);
        Assert.DoesNotContain("\"Gaps\"", json);
        var back = JsonSerializer.Deserialize<ChunkMarker>(json)!;
        Assert.Equal(marker.GapSketch.Buckets, back.GapsAsSketch().Buckets);
        Assert.Equal(marker.GapSketch.Median(), Totals(back).GapMedian);

        // A marker of the earlier format: raw gaps, no sketch.
        string old = $$"""{"Chunk":"c","Facts":["f"],"Queries":1,"Tokenized":1,"Attributed":1,"Quarantined":""" +
            $$"""0,"Parts":[],"Gaps":[""" +
            string.Join(",", gaps.Select(g => g.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) +
            "]}";
        var legacy = JsonSerializer.Deserialize<ChunkMarker>(old)!;
        Assert.Equal(marker.GapSketch.Median(), Totals(legacy).GapMedian);
        // Its counters are missing, and the summary says so instead of silently counting them as zero.
        var summary = new System.Text.Json.Nodes.JsonObject();
        Totals(legacy, back with { Skipped = new SortedDictionary<string, long> { ["split_filtered"] = 2 } })
            .AddCounters(summary);
        Assert.Equal(1, summary["chunks_without_counters"]!.GetValue<long>());
        Assert.Equal(2, summary["skipped_split_filtered"]!.GetValue<long>());
        Assert.Null(new RunTotals().GapMedian);
    }

    private static RunTotals Totals(params ChunkMarker[] markers)
    {
        var totals = new RunTotals();
        foreach (var m in markers)
            totals.Add(m);
        return totals;
    }
}
