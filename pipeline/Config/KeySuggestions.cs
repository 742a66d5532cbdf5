namespace KnPipeline.Config;

/// <summary>"Did you mean …?" for misspelt keys and enum values: the closest candidate by edit distance.</summary>
internal static class KeySuggestions
{
    /// <summary>The candidate closest to <paramref name="given"/>, if it is close enough to be a likely typo.</summary>
    public static string? Closest(string given, IEnumerable<string> candidates)
    {
        string normalized = given.Replace('-', '_').ToLowerInvariant();
        // Allow about one edit per three characters (at least one, at most three):
        // "stepz" → "steps", but "id" is not taken for "seed".
        int limit = Math.Clamp(given.Length / 3, 1, 3);
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string c in candidates)
        {
            int d = Math.Min(Distance(given, c), Distance(normalized, c.Replace('-', '_')));
            if (string.Equals(Squash(given), Squash(c), StringComparison.Ordinal))
                d = 0; // topK, top-k and TOP_K all mean top_k
            if (d < bestDistance && d <= limit)
                (best, bestDistance) = (c, d);
        }
        return best;
    }

    private static string Squash(string s) =>
        new(s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());

    // Optimal string alignment distance: Levenshtein plus adjacent transpositions ("setps" → "steps" is one edit).
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
