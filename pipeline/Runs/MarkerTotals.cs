using System.Text.Json.Nodes;
using KnPipeline.Stages.Tokenization;

namespace KnPipeline.Runs;

/// <summary>
/// The summary figures that are sums or medians over chunks, computed from the chunks' done markers: a run's
/// summary, a resumed run's and a merge of shards all add up the same markers, so they agree.
/// </summary>
public static class MarkerTotals
{
    /// <summary>
    /// Median of |gap| over every (query, layer) of the chunks, from their merged sketches (within 0.1% relative);
    /// null when nothing was attributed.
    /// </summary>
    public static double? GapMedian(IEnumerable<ChunkMarker> markers)
    {
        var all = new QuantileSketch();
        foreach (var m in markers)
            all.Merge(m.GapsAsSketch());
        return all.Median();
    }

    /// <summary>Adds skipped_&lt;reason&gt;, not_localized, tokens_per_object_&lt;lang&gt; and unk_rate_&lt;lang&gt;.</summary>
    public static void AddCounters(JsonObject summary, IReadOnlyCollection<ChunkMarker> markers)
    {
        foreach (var g in markers.SelectMany(m => m.Skipped ?? []).GroupBy(kv => kv.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
            summary[$"skipped_{g.Key}"] = g.Sum(kv => kv.Value);
        summary["not_localized"] = markers.Sum(m => m.NotLocalized);
        // Markers written before the counters moved into them (an older build's chunks of a resumed run) count as 0.
        int without = markers.Count(m => m.Skipped is null);
        if (without > 0)
            summary["chunks_without_counters"] = without;
        foreach (var s in LanguageTokenStats.Sum(markers.SelectMany(m => m.TokenStats ?? [])))
        {
            summary[$"tokens_per_object_{s.Language}"] = Math.Round(s.TokensPerObject, 4);
            summary[$"unk_rate_{s.Language}"] = Math.Round(s.UnknownTokenRate, 6);
        }
    }
}
