using System.Text;
using System.Text.RegularExpressions;

namespace KnPipeline.Stages.Training;

/// <summary>
/// GPT-2's byte-level conventions, shared by the BPE trainer and encoder: the pre-tokenization regex (words with their
/// leading space, numbers, punctuation runs, whitespace) and <c>bytes_to_unicode</c>, which maps every byte to a
/// printable character so a token of any bytes is a plain string in vocab.json (a space becomes "Ġ").
/// </summary>
public static class ByteLevel
{
    /// <summary>The GPT-2 pattern exactly as in openai/gpt-2 encoder.py (and HF's ByteLevel pre-tokenizer).</summary>
    public const string Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private static readonly Regex Splitter = new(Pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>bytes_to_unicode: byte → character.</summary>
    public static IReadOnlyList<char> ByteToChar { get; }

    /// <summary>The 256 byte characters in GPT-2's vocabulary order (printable bytes first, then the remapped
    /// ones).</summary>
    public static IReadOnlyList<char> AlphabetOrder { get; }

    private static readonly Dictionary<char, byte> CharToByte;

    static ByteLevel()
    {
        var bs = new List<int>();
        for (int b = '!'; b <= '~'; b++) bs.Add(b);
        for (int b = 0xA1; b <= 0xAC; b++) bs.Add(b);
        for (int b = 0xAE; b <= 0xFF; b++) bs.Add(b);
        var cs = new List<int>(bs);
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            if (bs.Contains(b))
                continue;
            bs.Add(b);
            cs.Add(256 + n++);
        }
        var map = new char[256];
        for (int i = 0; i < 256; i++)
            map[bs[i]] = (char)cs[i];
        ByteToChar = map;
        AlphabetOrder = bs.Select(b => map[b]).ToArray();
        CharToByte = Enumerable.Range(0, 256).ToDictionary(b => map[b], b => (byte)b);
    }

    /// <summary>The pre-tokens of <paramref name="text"/> with their start offsets.</summary>
    public static IEnumerable<(string Word, int Start)> PreTokenize(string text)
    {
        for (var m = Splitter.Match(text); m.Success; m = m.NextMatch())
            yield return (m.Value, m.Index);
    }

    /// <summary>
    /// Pre-tokens of <paramref name="text"/>, additionally cut at the given character offsets (slot boundaries such as
    /// where a subject starts and ends), except where the cut would only detach a word's leading space. The trainer
    /// uses this so that no merge is learned across a subject and the template around it (ja/zh have no spaces).
    /// </summary>
    public static IEnumerable<string> PreTokenize(string text, IReadOnlyCollection<int> cuts)
    {
        foreach (var (word, start) in PreTokenize(text))
        {
            int from = 0;
            foreach (int c in cuts.Where(c => c > start && c < start + word.Length).Order())
            {
                int at = c - start;
                if (at == 1 && char.IsWhiteSpace(word[0]) && from == 0)
                    continue;
                yield return word[from..at];
                from = at;
            }
            yield return word[from..];
        }
    }

    /// <summary>
    /// Pre-tokens of a sentence for the BPE trainer, the name span [<paramref name="nameStart"/>,
    /// <paramref name="nameEnd"/>) kept whole (cut at its ends as above). With <paramref name="perCharacter"/> every
    /// other pre-token is cut into single characters. zh/ja write no spaces, so the GPT-2 regex makes a whole relation
    /// phrase ("的首都是", "の首都は") one pre-token, and BPE trained on the training sentences alone then turned each
    /// frequent phrase into one token that only its template has: 50–56% of held-out zh/ja prompt pieces were never
    /// seen in training (issue #12). Cut per character, template text becomes tokens every template shares, while the
    /// benchmark's names, counted whole, still merge into one or a few tokens each.
    /// </summary>
    public static IEnumerable<string> PreTokenize(string text, int nameStart, int nameEnd, bool perCharacter)
    {
        int pos = 0;
        foreach (string word in PreTokenize(text, [nameStart, nameEnd]))
        {
            int start = pos;
            pos += word.Length;
            bool inName = start < nameEnd && pos > nameStart;
            if (!perCharacter || inName || word.Length == 1)
            {
                yield return word;
                continue;
            }
            foreach (var rune in word.EnumerateRunes())
                yield return rune.ToString();
        }
    }

    /// <summary>A word as byte characters (UTF-8 bytes mapped through bytes_to_unicode).</summary>
    public static string ToByteChars(string word)
    {
        var bytes = Encoding.UTF8.GetBytes(word);
        var sb = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
            sb.Append(ByteToChar[b]);
        return sb.ToString();
    }

    /// <summary>Byte characters back to text (invalid UTF-8 becomes U+FFFD, as HF decodes).</summary>
    public static string FromByteChars(string chars)
    {
        var bytes = new byte[chars.Length];
        for (int i = 0; i < chars.Length; i++)
            bytes[i] = CharToByte.TryGetValue(chars[i], out byte b)
                ? b : throw new ArgumentException($"'{chars[i]}' is not a byte-level character", nameof(chars));
        return Encoding.UTF8.GetString(bytes);
    }
}
