using System.Globalization;

namespace KnPipeline.Report;

/// <summary>
/// Language codes as names a reader knows ("ja" → "Japanese"), from .NET's ICU culture data, so any benchmark's
/// codes are named without a table of our own; a code ICU does not know is shown as it is.
/// </summary>
public static class LanguageNames
{
    public static string Of(string code)
    {
        try
        {
            var c = CultureInfo.GetCultureInfo(code.Replace('_', '-'));
            // ICU names an unknown code "Unknown language (xx)" or echoes it; neither is a name.
            if (c.EnglishName.StartsWith("Unknown", StringComparison.Ordinal) || c.EnglishName == code)
                return code;
            return c.EnglishName;
        }
        catch (CultureNotFoundException)
        {
            return code;
        }
    }

    /// <summary>"Japanese (ja)": for tables, where the code is what the reader filters on.</summary>
    public static string WithCode(string code) => Of(code) == code ? code : $"{Of(code)} ({code})";
}
