using System.Collections.Concurrent;

namespace KnPipeline.Stages.Tokenization;

/// <summary>
/// Per-language counters of a <see cref="QueryTokenizer"/>. Thread-safe without locks (one set of Interlocked
/// counters per language), because tokenization runs with several workers.
/// </summary>
public sealed class TokenizationDiagnostics
{
    private readonly ConcurrentDictionary<string, Counters> _byLanguage = new(StringComparer.Ordinal);

    internal void Tokenized(string language, int objectTokens, int tokens, int unknown)
    {
        var c = CountersOf(language);
        Interlocked.Increment(ref c.Queries);
        Interlocked.Add(ref c.ObjectTokens, objectTokens);
        Interlocked.Add(ref c.Tokens, tokens);
        Interlocked.Add(ref c.Unknown, unknown);
    }

    internal void Quarantined(string language) => Interlocked.Increment(ref CountersOf(language).Quarantined);

    internal void Skipped(string language) => Interlocked.Increment(ref CountersOf(language).Skipped);

    /// <summary>One row per language seen, sorted by language.</summary>
    public IReadOnlyList<LanguageTokenStats> Snapshot() =>
        _byLanguage.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new LanguageTokenStats(kv.Key, Interlocked.Read(ref kv.Value.Queries),
                Interlocked.Read(ref kv.Value.ObjectTokens), Interlocked.Read(ref kv.Value.Tokens),
                Interlocked.Read(ref kv.Value.Unknown), Interlocked.Read(ref kv.Value.Quarantined),
                Interlocked.Read(ref kv.Value.Skipped)))
            .ToArray();

    /// <summary>The row of one language (all zero when unseen).</summary>
    public LanguageTokenStats Language(string language) =>
        Snapshot().FirstOrDefault(s => s.Language == language) ?? new LanguageTokenStats(language, 0, 0, 0, 0, 0, 0);

    private Counters CountersOf(string language) => _byLanguage.GetOrAdd(language, static _ => new Counters());

    private sealed class Counters
    {
        public long Queries, ObjectTokens, Tokens, Unknown, Quarantined, Skipped;
    }
}
