using System.Globalization;
using System.Text;

namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>
/// The character predicates HF <c>tokenizers</c> takes from Rust: <c>char::is_whitespace</c> (the Unicode White_Space
/// property), <c>char::is_numeric</c> and BERT's punctuation test. Code points, not UTF-16 units.
/// </summary>
internal static class CharClasses
{
    public static bool IsWhitespace(Rune r) =>
        r.Value is >= 0x09 and <= 0x0D or 0x85 || Rune.GetUnicodeCategory(r) is UnicodeCategory.SpaceSeparator
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    public static bool IsNumeric(Rune r) =>
        Rune.GetUnicodeCategory(r) is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber
            or UnicodeCategory.OtherNumber;

    /// <summary>ASCII punctuation (which includes $ + &lt; = &gt; ^ ` | ~) or any Unicode P* category.</summary>
    public static bool IsBertPunctuation(Rune r)
    {
        int c = r.Value;
        if (c is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126)
            return true;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation
            or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
            or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>Rust's <c>char::is_alphanumeric</c> (Alphabetic or Numeric), approximated by letters and numbers.</summary>
    public static bool IsWordChar(Rune r) => Rune.IsLetterOrDigit(r) || IsNumeric(r) || r.Value == '_';
}
