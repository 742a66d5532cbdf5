using System.Collections.Concurrent;
using System.Text;

namespace KnPipeline.Stages.Options;

/// <summary>
/// The one mapping between C# names and the names users write in <c>pipeline.yaml</c>: properties become snake_case
/// keys (<c>DModel</c> → <c>d_model</c>) and enum members become lowercase words joined by dashes
/// (<c>GaussLegendre</c> → <c>gauss-legendre</c>). Stages use <see cref="Of(Enum)"/> to write option values into
/// output metadata with the same spelling the config uses.
/// </summary>
public static class OptionNames
{
    private static readonly ConcurrentDictionary<Type, (string Name, object Value)[]> EnumCache = new();

    /// <summary>The YAML key of a C# property name.</summary>
    public static string Key(string propertyName) => Split(propertyName, '_');

    /// <summary>The YAML spelling of an enum value, e.g. <c>first-token</c>.</summary>
    public static string Of(Enum value) =>
        Members(value.GetType()).FirstOrDefault(m => m.Value.Equals(value)).Name ?? value.ToString();

    /// <summary>Every allowed YAML spelling of an enum type, in declaration order.</summary>
    public static IReadOnlyList<string> Values(Type enumType) => Members(enumType).Select(m => m.Name).ToArray();

    /// <summary>
    /// Parses a YAML enum spelling (case-insensitive); no numbers, no C# member names with other casing rules.
    /// </summary>
    public static bool TryParse(Type enumType, string text, out object? value)
    {
        foreach (var (name, v) in Members(enumType))
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                return true;
            }
        }
        value = null;
        return false;
    }

    private static (string Name, object Value)[] Members(Type enumType) =>
        EnumCache.GetOrAdd(enumType, t => Enum.GetNames(t).Select(n => (Split(n, '-'), Enum.Parse(t, n))).ToArray());

    // A separator goes before an upper-case letter that follows a lower-case letter or digit ("TopK" → "top_k") or
    // that starts a new word after an acronym ("DModel" → "d_model"); digits stay attached ("Heng840" → "heng840").
    private static string Split(string name, char separator)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (i > 0 && char.IsUpper(c))
            {
                char prev = name[i - 1];
                bool nextLower = i + 1 < name.Length && char.IsLower(name[i + 1]);
                if (char.IsLower(prev) || char.IsDigit(prev) || (char.IsUpper(prev) && nextLower))
                    sb.Append(separator);
            }
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
