using System.Text;
using System.Text.RegularExpressions;

namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>
/// One tokenizer.json <c>pre_tokenizer</c>: splits pieces into smaller pieces (and may rewrite them, as ByteLevel
/// and Metaspace do). <c>continuation</c>: the text continues earlier text, so nothing marks a start.
/// </summary>
internal interface IHfPreTokenizer
{
    List<Piece> PreTokenize(List<Piece> pieces, bool continuation);
}

internal sealed class SequencePreTokenizer(IReadOnlyList<IHfPreTokenizer> steps) : IHfPreTokenizer
{
    public List<Piece> PreTokenize(List<Piece> pieces, bool continuation)
    {
        foreach (var s in steps)
            pieces = s.PreTokenize(pieces, continuation);
        return pieces;
    }
}

/// <summary>Split by a regex or literal (tokenizer.json "Split"), or by a character predicate (Whitespace,
/// Digits…).</summary>
internal sealed class SplitPreTokenizer : IHfPreTokenizer
{
    private readonly Regex? _regex;
    private readonly Func<Rune, bool>? _predicate;
    private readonly SplitBehavior _behavior;
    private readonly bool _invert;

    public SplitPreTokenizer(Regex regex, SplitBehavior behavior, bool invert)
    {
        _regex = regex;
        _behavior = behavior;
        _invert = invert;
    }

    public SplitPreTokenizer(Func<Rune, bool> predicate, SplitBehavior behavior)
    {
        _predicate = predicate;
        _behavior = behavior;
    }

    public List<Piece> PreTokenize(List<Piece> pieces, bool continuation)
    {
        var output = new List<Piece>(pieces.Count * 2);
        foreach (var p in pieces)
        {
            var matches = _regex != null ? Splitting.FindMatches(_regex, p.Text)
                : Splitting.FindMatches(_predicate!, p.Text);
            Splitting.Split(p, matches, _behavior, _invert, output);
        }
        return output;
    }

    /// <summary>HF "Whitespace": keeps the matches of <c>\w+|[^\w\s]+</c>, drops the rest.</summary>
    public static SplitPreTokenizer Whitespace() =>
        new(new Regex(@"\w+|[^\w\s]+", RegexOptions.CultureInvariant), SplitBehavior.Removed, invert: true);
}

/// <summary>HF "BertPreTokenizer": drop whitespace, isolate each punctuation character.</summary>
internal sealed class BertPreTokenizer : IHfPreTokenizer
{
    private static readonly SplitPreTokenizer Spaces = new(CharClasses.IsWhitespace, SplitBehavior.Removed);
    private static readonly SplitPreTokenizer Punctuation = new(CharClasses.IsBertPunctuation, SplitBehavior.Isolated);

    public List<Piece> PreTokenize(List<Piece> pieces, bool continuation) =>
        Punctuation.PreTokenize(Spaces.PreTokenize(pieces, continuation), continuation);
}

/// <summary>
/// GPT-2's byte-level pre-tokenizer: optional prefix space, the GPT-2 regex split (use_regex), then every byte written
/// in the byte-level alphabet.
/// </summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : IHfPreTokenizer
{
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private static readonly Regex Gpt2Regex = OnigurumaPattern.Compile(Gpt2Pattern);

    public List<Piece> PreTokenize(List<Piece> pieces, bool continuation)
    {
        var split = new List<Piece>(pieces.Count * 4);
        foreach (var p in pieces)
        {
            var piece = p;
            if (addPrefixSpace && !continuation && !piece.Text.StartsWith(' '))
                piece = piece with { Text = " " + piece.Text };
            if (useRegex)
                Splitting.Split(piece, Splitting.FindMatches(Gpt2Regex, piece.Text), SplitBehavior.Isolated, false,
                    split);
            else if (piece.Text.Length > 0)
                split.Add(piece);
        }
        for (int i = 0; i < split.Count; i++)
            split[i] = split[i] with { Text = ByteLevelAlphabet.Encode(split[i].Text) };
        return split;
    }
}

/// <summary>
/// SentencePiece-style spaces: ' ' becomes "▁"; prepend_scheme always/first adds "▁" to the start (first: only the
/// piece at the start of the text); split cuts before every "▁".
/// </summary>
internal sealed class MetaspacePreTokenizer(char replacement, string prependScheme, bool split) : IHfPreTokenizer
{
    public List<Piece> PreTokenize(List<Piece> pieces, bool continuation)
    {
        var output = new List<Piece>(pieces.Count * 4);
        string rep = replacement.ToString();
        foreach (var p in pieces)
        {
            string text = p.Text.Replace(" ", rep);
            bool prepend = !continuation && !text.StartsWith(replacement) &&
                           (prependScheme == "always" || (prependScheme == "first" && p.AtOrigin));
            if (prepend)
                text = rep + text;
            var piece = p with { Text = text };
            if (split)
                Splitting.Split(piece, Splitting.FindMatches(r => r.Value == replacement, text),
                    SplitBehavior.MergedWithNext, false, output);
            else if (text.Length > 0)
                output.Add(piece);
        }
        return output;
    }
}
