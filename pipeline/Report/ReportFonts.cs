using ScottPlot;

namespace KnPipeline.Report;

/// <summary>
/// The fonts the figures draw with, brought by the project (<c>pipeline/Report/Fonts</c>, copied beside the binary
/// under the same path): DejaVu Sans
/// for Latin, Cyrillic, Greek and Arabic letters, and a subset of WenQuanYi Micro Hei for Chinese, Japanese and Korean.
/// ScottPlot's Skia build needs no system fonts, but without a registered font it draws every label blank and still
/// writes the PNG, and its default family is the first one found, often a serif. So the
/// fonts are registered from files and checked for glyphs before any figure is drawn.
/// </summary>
public static class ReportFonts
{
    public const string Sans = "DejaVu Sans";
    public const string Cjk = "WenQuanYi Micro Hei";

    private static readonly object Gate = new();
    private static bool _registered;

    /// <summary>
    /// The folder of the font files: <c>Report/Fonts</c> beside the binary, else the repository's
    /// <c>pipeline/Report/Fonts</c>.
    /// </summary>
    public static string Folder(string? baseDir = null)
    {
        string here = Path.Combine(baseDir ?? AppContext.BaseDirectory, "Report", "Fonts");
        if (File.Exists(Path.Combine(here, "DejaVuSans.ttf")))
            return here;
        for (var d = new DirectoryInfo(baseDir ?? AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "pipeline", "Report", "Fonts")))
                return Path.Combine(d.FullName, "pipeline", "Report", "Fonts");
        throw new InvalidOperationException(
            $"no fonts folder beside {AppContext.BaseDirectory}: the report's figures would have no text");
    }

    /// <summary>Registers the fonts once and makes DejaVu Sans the default; throws when a font has no glyphs.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (_registered)
                return;
            string dir = Folder();
            Fonts.AddFontFile(Sans, Path.Combine(dir, "DejaVuSans.ttf"), bold: false, italic: false);
            Fonts.AddFontFile(Sans, Path.Combine(dir, "DejaVuSans-Bold.ttf"), bold: true, italic: false);
            // One weight only: a bold CJK title falls back to the regular face, which reads well at figure sizes.
            Fonts.AddFontFile(Cjk, Path.Combine(dir, "WenQuanYiMicroHei-subset.ttf"), bold: false, italic: false);
            Fonts.AddFontFile(Cjk, Path.Combine(dir, "WenQuanYiMicroHei-subset.ttf"), bold: true, italic: false);
            Fonts.Default = Sans;
            foreach (var (family, sample) in new[] { (Sans, "Accuracy"), (Cjk, "巴黎パリ") })
                if (Glyphs(family, sample) < sample.Length)
                    throw new InvalidOperationException(
                        $"the font '{family}' has no glyphs for '{sample}': the figures would have blank text");
            _registered = true;
        }
    }

    /// <summary>How many characters of <paramref name="text"/> the registered family can draw.</summary>
    public static int Glyphs(string family, string text)
    {
        // ScottPlot caches the typeface and draws with it later: disposing it here crashed the process.
        var typeface = Fonts.GetTypeface(family, false, false);
        if (typeface.GlyphCount == 0)
            return 0;
        return typeface.GetGlyphs(text).Count(g => g != 0);
    }

    /// <summary>The family for a label: the CJK font when the text holds a Han, kana or Hangul character.</summary>
    public static string For(string text) => text.Any(IsCjk) ? Cjk : Sans;

    private static bool IsCjk(char c) =>
        c is >= '\u3000' and <= '\u30FF' or >= '\u3130' and <= '\u318F' or >= '\u3400' and <= '\u9FFF'
            or >= '\uAC00' and <= '\uD7A3' or >= '\uFF00' and <= '\uFFEF';
}
