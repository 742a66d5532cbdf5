using System.Text.Json.Nodes;
using KnPipeline.Stages.Tokenization;

namespace KnPipeline.Runs;

/// <summary>
/// The figures of a run that are sums or quantiles over its chunks, folded in one done marker at a time. A run, a
/// resumed run and a merge of shards fold the same markers, so they report the same figures; and no marker is kept
/// once folded, so the memory of a run does not grow with its length (a kept marker holds its gap sketch, up to a few
/// thousand buckets: keeping every marker was what grew by about 3 KB per fact on the whole of ParaRel).
/// </summary>
public sealed class RunTotals
{
    private readonly QuantileSketch _gaps = new();
    private readonly SortedDictionary<string, QuantileSketch> _methodGaps = new(StringComparer.Ordinal);
    private string[] _methods = [];
    private readonly SortedDictionary<string, long> _skipped = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, LanguageTokenStats> _tokens = new(StringComparer.Ordinal);

    public long Chunks { get; private set; }
    public long Facts { get; private set; }
    public long Queries { get; private set; }
    public long Tokenized { get; private set; }
    public long Attributed { get; private set; }
    public long Quarantined { get; private set; }
    public long NotLocalized { get; private set; }

    /// <summary>Markers written by an older build, before the counters moved into markers: they count as 0.</summary>
    public long ChunksWithoutCounters { get; private set; }

    public void Add(ChunkMarker m)
    {
        Chunks++;
        Facts += m.Facts.Length;
        Queries += m.Queries;
        Tokenized += m.Tokenized;
        Attributed += m.Attributed;
        Quarantined += m.Quarantined;
        NotLocalized += m.NotLocalized;
        _gaps.Merge(m.GapsAsSketch());
        if (m.Methods is { Length: > 0 } methods)
        {
            // Every marker of a run lists the same methods (they are in the work hash); the first one seen names them.
            if (_methods.Length == 0)
                _methods = methods;
            Gaps(methods[0]).Merge(m.GapsAsSketch());
            foreach (var (method, sketch) in m.OtherGapSketches ?? [])
                Gaps(method).Merge(sketch);
        }
        if (m.Skipped is null)
            ChunksWithoutCounters++;
        foreach (var (reason, n) in m.Skipped ?? [])
            _skipped[reason] = _skipped.GetValueOrDefault(reason) + n;
        foreach (var s in m.TokenStats ?? [])
            _tokens[s.Language] = _tokens.TryGetValue(s.Language, out var had)
                ? LanguageTokenStats.Sum([had, s])[0]
                : s;
    }

    /// <summary>Median of |gap| over every attributed (query, layer) of the first method, within 0.1% relative; null
    /// when none.</summary>
    public double? GapMedian => _gaps.Median();

    /// <summary>The run's methods in order (empty for runs older than methods).</summary>
    public IReadOnlyList<string> Methods => _methods;

    /// <summary>Median |gap| of one method, as <see cref="GapMedian"/> is of the first.</summary>
    public double? GapMedianOf(string method) => _methodGaps.TryGetValue(method, out var s) ? s.Median() : null;

    private QuantileSketch Gaps(string method) =>
        _methodGaps.TryGetValue(method, out var s) ? s : _methodGaps[method] = new QuantileSketch();

    /// <summary>Adds skipped_&lt;reason&gt;, not_localized, tokens_per_object_&lt;lang&gt;, unk_rate_&lt;lang&gt;,
    /// methods (in order, the first being what queries_attributed and completeness_gap_median count) and
    /// completeness_gap_median_&lt;method&gt; per method (dashes as underscores).</summary>
    public void AddCounters(JsonObject summary)
    {
        if (_methods.Length > 0)
            summary["methods"] = string.Join(", ", _methods);
        foreach (var method in _methods)
            summary[$"completeness_gap_median_{method.Replace('-', '_')}"] = GapMedianOf(method);
        foreach (var (reason, n) in _skipped)
            summary[$"skipped_{reason}"] = n;
        summary["not_localized"] = NotLocalized;
        if (ChunksWithoutCounters > 0)
            summary["chunks_without_counters"] = ChunksWithoutCounters;
        foreach (var s in _tokens.Values)
        {
            summary[$"tokens_per_object_{s.Language}"] = Math.Round(s.TokensPerObject, 4);
            summary[$"unk_rate_{s.Language}"] = Math.Round(s.UnknownTokenRate, 6);
        }
    }

    /// <summary>Every marker of a run folder, folded (the merge of shards reads them all from disk).</summary>
    public static RunTotals FromFolder(RunFolder run)
    {
        var totals = new RunTotals();
        foreach (var marker in ChunkMarker.ReadAll(run))
            totals.Add(marker);
        return totals;
    }
}
