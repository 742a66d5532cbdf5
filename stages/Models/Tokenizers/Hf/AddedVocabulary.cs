using System.Text;

namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>One entry of tokenizer.json's <c>added_tokens</c>.</summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool SingleWord, bool LStrip, bool RStrip,
    bool Normalized);

/// <summary>
/// The added tokens, split out of the text before the model sees it (HF <c>AddedVocabulary</c>): tokens with
/// normalized=false are found in the raw text, the others in the normalized text. Leftmost-longest matching, with
/// single_word, lstrip and rstrip as HF applies them.
/// </summary>
internal sealed class AddedVocabulary
{
    private readonly Dictionary<string, AddedToken> _byContent = new(StringComparer.Ordinal);
    private readonly Dictionary<int, AddedToken> _byId = new();
    private readonly Dictionary<char, List<string>> _raw = new();
    private readonly Dictionary<char, List<string>> _normalized = new();
    private readonly Dictionary<string, AddedToken> _matchIndex = new(StringComparer.Ordinal);

    public AddedVocabulary(IReadOnlyList<AddedToken> tokens, IHfNormalizer? normalizer)
    {
        foreach (var t in tokens)
        {
            _byContent[t.Content] = t;
            _byId[t.Id] = t;
            if (t.Content.Length == 0)
                continue;
            if (t.Normalized && normalizer != null)
            {
                string n = normalizer.Normalize(t.Content, continuation: false);
                if (n.Length > 0)
                    Index(_normalized, n, t);
            }
            else
                Index(t.Normalized ? _normalized : _raw, t.Content, t);
        }
        // Longest first, so the first candidate that fits is the leftmost-longest match.
        foreach (var list in _raw.Values.Concat(_normalized.Values))
            list.Sort((a, b) => b.Length.CompareTo(a.Length));
    }

    public IReadOnlyCollection<AddedToken> Tokens => _byId.Values;

    public int? TokenToId(string content) => _byContent.TryGetValue(content, out var t) ? t.Id : null;

    public string? IdToToken(int id) => _byId.TryGetValue(id, out var t) ? t.Content : null;

    private void Index(Dictionary<char, List<string>> index, string form, AddedToken t)
    {
        if (!index.TryGetValue(form[0], out var list))
            index[form[0]] = list = [];
        list.Add(form);
        _matchIndex[form] = t;
    }

    /// <summary>Splits on the tokens matched in raw text; each element is text or an added token's id.</summary>
    public List<(string Text, int? Id)> SplitRaw(string text) => Split(text, _raw);

    public List<(string Text, int? Id)> SplitNormalized(string text) => Split(text, _normalized);

    private List<(string Text, int? Id)> Split(string s, Dictionary<char, List<string>> index)
    {
        var result = new List<(string, int?)>();
        if (index.Count == 0)
        {
            result.Add((s, null));
            return result;
        }
        int startOffset = 0, i = 0;
        while (i < s.Length)
        {
            string? form = Longest(s, i, index);
            if (form == null)
            {
                i++;
                continue;
            }
            var token = _matchIndex[form];
            int start = i, stop = i + form.Length;
            if (token.SingleWord && !(IsBoundaryBefore(s, start) && IsBoundaryAfter(s, stop)))
            {
                // HF's matcher has consumed the rejected match: the search resumes after it.
                i = stop;
                continue;
            }
            if (token.LStrip)
                while (start > startOffset && char.IsWhiteSpace(s[start - 1]))
                    start--;
            if (token.RStrip)
                while (stop < s.Length && char.IsWhiteSpace(s[stop]))
                    stop++;
            if (startOffset < start)
                result.Add((s[startOffset..start], null));
            result.Add((s[start..stop], token.Id));
            startOffset = i = stop;
        }
        if (startOffset < s.Length)
            result.Add((s[startOffset..], null));
        return result;
    }

    private static string? Longest(string s, int i, Dictionary<char, List<string>> index)
    {
        if (!index.TryGetValue(s[i], out var candidates))
            return null;
        foreach (string c in candidates)
            if (string.CompareOrdinal(s, i, c, 0, c.Length) == 0)
                return c;
        return null;
    }

    private static bool IsBoundaryBefore(string s, int start)
    {
        if (start == 0)
            return true;
        Rune.DecodeLastFromUtf16(s.AsSpan(0, start), out Rune r, out _);
        return !CharClasses.IsWordChar(r);
    }

    private static bool IsBoundaryAfter(string s, int stop)
    {
        if (stop == s.Length)
            return true;
        Rune.DecodeFromUtf16(s.AsSpan(stop), out Rune r, out _);
        return !CharClasses.IsWordChar(r);
    }
}
