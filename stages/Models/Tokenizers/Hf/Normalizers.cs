using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>
/// One tokenizer.json <c>normalizer</c>. <c>continuation</c> marks text that continues earlier text
/// (target ids): normalizers that only mark the start of a text (Prepend "▁") do nothing then.
/// </summary>
internal interface IHfNormalizer
{
    string Normalize(string text, bool continuation);
}

internal sealed class SequenceNormalizer(IReadOnlyList<IHfNormalizer> steps) : IHfNormalizer
{
    public string Normalize(string text, bool continuation)
    {
        foreach (var s in steps)
            text = s.Normalize(text, continuation);
        return text;
    }
}

internal sealed class UnicodeFormNormalizer(NormalizationForm form) : IHfNormalizer
{
    public string Normalize(string text, bool continuation) => text.Normalize(form);
}

internal sealed class LowercaseNormalizer : IHfNormalizer
{
    public string Normalize(string text, bool continuation) => text.ToLowerInvariant();
}

internal sealed class StripNormalizer(bool left, bool right) : IHfNormalizer
{
    public string Normalize(string text, bool continuation) =>
        left && right ? text.Trim() : left ? text.TrimStart() : right ? text.TrimEnd() : text;
}

/// <summary>Removes combining marks (category Mn); tokenizer.json puts it after NFD.</summary>
internal sealed class StripAccentsNormalizer : IHfNormalizer
{
    public string Normalize(string text, bool continuation) => RemoveMarks(text);

    public static string RemoveMarks(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (Rune r in text.EnumerateRunes())
            if (Rune.GetUnicodeCategory(r) != UnicodeCategory.NonSpacingMark)
                sb.Append(r.ToString());
        return sb.ToString();
    }
}

/// <summary>Prepends a string to non-empty text (LLaMA-2's "▁"); not to a continuation, which is mid-text.</summary>
internal sealed class PrependNormalizer(string prefix) : IHfNormalizer
{
    public string Normalize(string text, bool continuation) =>
        continuation || text.Length == 0 ? text : prefix + text;
}

internal sealed class ReplaceNormalizer(Regex pattern, string content) : IHfNormalizer
{
    public string Normalize(string text, bool continuation) => pattern.Replace(text, content.Replace("$", "$$"));
}

/// <summary>The byte-level alphabet as a normalizer (rare; the pre-tokenizer is the usual place).</summary>
internal sealed class ByteLevelNormalizer : IHfNormalizer
{
    public string Normalize(string text, bool continuation) => ByteLevelAlphabet.Encode(text);
}

/// <summary>
/// HF's BertNormalizer: clean_text (drop controls, whitespace → ' '), spaces around CJK ideographs, strip accents
/// (NFD then drop Mn; defaults to the lowercase flag, as bert-base-uncased does), then lowercase.
/// </summary>
internal sealed class BertTextNormalizer(bool cleanText, bool handleChineseChars, bool? stripAccents, bool lowercase)
    : IHfNormalizer
{
    public string Normalize(string text, bool continuation)
    {
        var sb = new StringBuilder(text.Length);
        foreach (Rune r in text.EnumerateRunes())
        {
            if (cleanText)
            {
                if (r.Value == 0 || r.Value == 0xFFFD || IsControl(r))
                    continue;
                if (IsWhitespace(r))
                {
                    sb.Append(' ');
                    continue;
                }
            }
            if (handleChineseChars && IsChineseChar(r.Value))
                sb.Append(' ').Append(r.ToString()).Append(' ');
            else
                sb.Append(r.ToString());
        }
        string s = sb.ToString();
        if (stripAccents ?? lowercase)
            s = StripAccentsNormalizer.RemoveMarks(s.Normalize(NormalizationForm.FormD));
        return lowercase ? s.ToLowerInvariant() : s;
    }

    // Controls are dropped before this test, so Rust's White_Space reduces to \t \n \r and the Z categories.
    private static bool IsWhitespace(Rune r) => r.Value is '\t' or '\n' or '\r' || CharClasses.IsWhitespace(r);

    private static bool IsControl(Rune r) =>
        r.Value is not ('\t' or '\n' or '\r') && Rune.GetUnicodeCategory(r) is UnicodeCategory.Control
            or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse;

    private static bool IsChineseChar(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF
            or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B920 and <= 0x2CEAF
            or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}

/// <summary>HF's Nmt normalizer: drops some control characters and turns others into spaces.</summary>
internal sealed class NmtNormalizer : IHfNormalizer
{
    public string Normalize(string text, bool continuation)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c is >= '\u0001' and <= '\u0008' or '\u000B' or >= '\u000E' and <= '\u001F' or '\u007F' or '\u008F'
                or '\u009F')
                continue;
            sb.Append(c is '\u0009' or '\u000A' or '\u000C' or '\u000D' or '\u1680' or >= '\u200B' and <= '\u200F'
                or '\u2028' or '\u2029' or '\u2581' or '\uFEFF' or '\uFFFD' ? ' ' : c);
        }
        return sb.ToString();
    }
}
