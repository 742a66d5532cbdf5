using System.Text.RegularExpressions;

namespace KnPipeline.Stages.Data;

/// <summary>
/// What we need to know about a language when the benchmark does not declare it: whether it writes spaces between
/// words, and whether a folder name looks like a language code at all.
/// </summary>
public static partial class LanguageCatalog
{
    // Scripts written without spaces between words: Chinese, Japanese, Thai, Lao, Khmer, Burmese, Tibetan, Dzongkha.
    // Korean writes spaces, so it is not here.
    private static readonly HashSet<string> NoSpaces = new(StringComparer.OrdinalIgnoreCase)
    {
        "zh", "zh-hans", "zh-hant", "zh-cn", "zh-tw", "zh-hk", "yue", "wuu", "ja", "th", "lo", "km", "my", "bo", "dz",
    };

    /// <summary>False for languages written without spaces between words (ja, zh*, th, ...); true otherwise.</summary>
    public static bool UsesSpaces(string code) => !NoSpaces.Contains(code) && !NoSpaces.Contains(BaseCode(code));

    /// <summary>
    /// True for strings shaped like a BCP-47-style code (<c>en</c>, <c>fil</c>, <c>zh-hans</c>, <c>pt_BR</c>), so a
    /// stray folder (<c>tmp</c> passes, <c>old_files</c> does not) is not taken as a language.
    /// </summary>
    public static bool LooksLikeCode(string code) => CodePattern().IsMatch(code);

    private static string BaseCode(string code)
    {
        int dash = code.IndexOfAny(['-', '_']);
        return dash < 0 ? code : code[..dash];
    }

    [GeneratedRegex("^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$")]
    private static partial Regex CodePattern();
}
