namespace KnPipeline.Stages.Tokenization;

/// <summary>Tokenization diagnostics of one language for one model.</summary>
/// <param name="Language">Language code.</param>
/// <param name="Queries">Queries tokenized.</param>
/// <param name="ObjectTokens">Sum of object token counts.</param>
/// <param name="Tokens">All tokens counted for the unknown-token rate (input without masks, plus target).</param>
/// <param name="UnknownTokens">Unknown-token ids among <paramref name="Tokens"/>.</param>
/// <param name="Quarantined">Queries quarantined (object or prompt tokenizes to nothing, mask count mismatch).</param>
/// <param name="Skipped">Queries a causal LM cannot use (no prompt: [Y] before [X]).</param>
public sealed record LanguageTokenStats(
    string Language,
    long Queries,
    long ObjectTokens,
    long Tokens,
    long UnknownTokens,
    long Quarantined,
    long Skipped)
{
    /// <summary>Mean object length in tokens (0 when no queries).</summary>
    public double TokensPerObject => Queries == 0 ? 0 : (double)ObjectTokens / Queries;

    /// <summary>Share of unknown tokens (0 when no tokens).</summary>
    public double UnknownTokenRate => Tokens == 0 ? 0 : (double)UnknownTokens / Tokens;

    /// <summary>Adds up rows of the same language (for example one per chunk), sorted by language.</summary>
    public static IReadOnlyList<LanguageTokenStats> Sum(IEnumerable<LanguageTokenStats> rows) =>
        rows.GroupBy(r => r.Language, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new LanguageTokenStats(g.Key, g.Sum(r => r.Queries), g.Sum(r => r.ObjectTokens), g.Sum(r => r.Tokens),
                g.Sum(r => r.UnknownTokens), g.Sum(r => r.Quarantined), g.Sum(r => r.Skipped)))
            .ToArray();
}
