using System.Text;
using System.Text.RegularExpressions;

namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>How a split treats the delimiters it finds (HF <c>SplitDelimiterBehavior</c>).</summary>
internal enum SplitBehavior
{
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}

/// <summary>
/// A piece of text on its way to the model. <see cref="AtOrigin"/> is true only for a piece that starts at offset 0
/// of the caller's text: Metaspace's prepend_scheme "first" prepends "▁" to that piece alone.
/// </summary>
internal readonly record struct Piece(string Text, bool AtOrigin);

/// <summary>HF's <c>Pattern::find_matches</c> and <c>NormalizedString::split</c>, on plain strings.</summary>
internal static class Splitting
{
    public static List<(int Start, int End, bool IsMatch)> FindMatches(Regex regex, string s)
    {
        var result = new List<(int, int, bool)>();
        if (s.Length == 0)
        {
            result.Add((0, 0, false));
            return result;
        }
        int prev = 0;
        for (Match m = regex.Match(s); m.Success; m = m.NextMatch())
        {
            if (prev != m.Index)
                result.Add((prev, m.Index, false));
            result.Add((m.Index, m.Index + m.Length, true));
            prev = m.Index + m.Length;
        }
        if (prev != s.Length)
            result.Add((prev, s.Length, false));
        return result;
    }

    /// <summary>Every code point for which <paramref name="isDelimiter"/> holds is its own match.</summary>
    public static List<(int Start, int End, bool IsMatch)> FindMatches(Func<Rune, bool> isDelimiter, string s)
    {
        var result = new List<(int, int, bool)>();
        int lastOffset = 0, i = 0;
        while (i < s.Length)
        {
            Rune.DecodeFromUtf16(s.AsSpan(i), out Rune r, out int len);
            if (isDelimiter(r))
            {
                if (lastOffset < i)
                    result.Add((lastOffset, i, false));
                result.Add((i, i + len, true));
                lastOffset = i + len;
            }
            i += len;
        }
        if (s.Length > lastOffset)
            result.Add((lastOffset, s.Length, false));
        return result;
    }

    /// <summary>Splits one piece by its matches and appends the non-empty parts to <paramref name="output"/>.</summary>
    public static void Split(Piece piece, List<(int Start, int End, bool IsMatch)> matches, SplitBehavior behavior,
        bool invert, List<Piece> output)
    {
        if (invert)
            for (int k = 0; k < matches.Count; k++)
                matches[k] = (matches[k].Start, matches[k].End, !matches[k].IsMatch);

        var parts = new List<(int Start, int End, bool Remove)>(matches.Count);
        bool previousMatch = false;
        switch (behavior)
        {
            case SplitBehavior.Isolated:
                foreach (var m in matches) parts.Add((m.Start, m.End, false));
                break;
            case SplitBehavior.Removed:
                foreach (var m in matches) parts.Add((m.Start, m.End, m.IsMatch));
                break;
            case SplitBehavior.Contiguous:
                foreach (var m in matches)
                {
                    if (m.IsMatch == previousMatch && parts.Count > 0)
                        parts[^1] = (parts[^1].Start, m.End, false);
                    else
                        parts.Add((m.Start, m.End, false));
                    previousMatch = m.IsMatch;
                }
                break;
            case SplitBehavior.MergedWithPrevious:
                foreach (var m in matches)
                {
                    if (m.IsMatch && !previousMatch && parts.Count > 0)
                        parts[^1] = (parts[^1].Start, m.End, false);
                    else
                        parts.Add((m.Start, m.End, false));
                    previousMatch = m.IsMatch;
                }
                break;
            case SplitBehavior.MergedWithNext:
                for (int k = matches.Count - 1; k >= 0; k--)
                {
                    var m = matches[k];
                    if (m.IsMatch && !previousMatch && parts.Count > 0)
                        parts[^1] = (m.Start, parts[^1].End, false);
                    else
                        parts.Add((m.Start, m.End, false));
                    previousMatch = m.IsMatch;
                }
                parts.Reverse();
                break;
        }

        foreach (var (start, end, remove) in parts)
            if (!remove && end > start)
                output.Add(new Piece(piece.Text[start..end], piece.AtOrigin && start == 0));
    }
}
