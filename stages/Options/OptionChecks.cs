using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.RegularExpressions;

namespace KnPipeline.Stages.Options;

/// <summary>
/// Checks the declarative rules on an options class: DataAnnotations <see cref="RangeAttribute"/> and
/// <see cref="RequiredAttribute"/>, our <see cref="MatchesAttribute"/> and <see cref="ItemRangeAttribute"/>, defined
/// enum values and non-null lists. Cross-field rules live in each section's <c>Validate()</c>, which calls this first.
/// </summary>
public static class OptionChecks
{
    /// <summary>
    /// Every rule violation of <paramref name="section"/>, keys prefixed with <paramref name="prefix"/>.
    /// </summary>
    public static IEnumerable<OptionError> Check(object section, string prefix)
    {
        foreach (var p in OptionsSchema.Properties(section.GetType()))
        {
            string key = $"{prefix}.{p.Key}";
            object? value = p.GetValue(section);
            if (value == null)
            {
                if (!p.IsNullable)
                    yield return new OptionError(key, "must not be null");
                continue;
            }
            var errors = p.Kind switch
            {
                OptionValueKind.Scalar => CheckScalar(p, key, value),
                OptionValueKind.List => CheckList(p, key, (IEnumerable)value),
                _ => Check(value, key),
            };
            foreach (var e in errors)
                yield return e;
        }
    }

    /// <summary>The way messages quote a value: strings in single quotes, numbers in invariant culture.</summary>
    public static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"'{s}'",
        Enum e => $"'{OptionNames.Of(e)}'",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static IEnumerable<OptionError> CheckScalar(OptionProperty p, string key, object value)
    {
        var attrs = p.Property.GetCustomAttributes(true);
        if (value is Enum e && !Enum.IsDefined(e.GetType(), e))
        {
            string allowed = string.Join(", ", OptionNames.Values(e.GetType()));
            yield return new OptionError(key, $"must be one of {allowed}; got {e}");
        }
        foreach (var a in attrs)
        {
            string? message = a switch
            {
                RangeAttribute r => RangeMessage(r, value),
                RequiredAttribute when value is string s && string.IsNullOrWhiteSpace(s) => "must not be empty",
                MatchesAttribute m => MatchMessage(m, value),
                _ => null,
            };
            if (message != null)
                yield return new OptionError(key, message);
        }
    }

    private static IEnumerable<OptionError> CheckList(OptionProperty p, string key, IEnumerable items)
    {
        var match = (MatchesAttribute?)Attribute.GetCustomAttribute(p.Property, typeof(MatchesAttribute));
        var range = (ItemRangeAttribute?)Attribute.GetCustomAttribute(p.Property, typeof(ItemRangeAttribute));
        int i = 0;
        foreach (var item in items)
        {
            string itemKey = $"{key}[{i++}]";
            if (item == null)
            {
                yield return new OptionError(itemKey, "must not be null");
                continue;
            }
            if (match != null && MatchMessage(match, item) is { } m)
                yield return new OptionError(itemKey, m);
            if (range == null)
                continue;
            long v = Convert.ToInt64(item, CultureInfo.InvariantCulture);
            if (v < range.Minimum || v > range.Maximum)
                yield return new OptionError(itemKey, Between(range.Minimum, range.Maximum, false, false, v));
        }
    }

    private static string? MatchMessage(MatchesAttribute m, object value)
    {
        string s = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        if (Regex.IsMatch(s, $"^(?:{m.Pattern})$", RegexOptions.CultureInvariant))
            return null;
        return $"must be {m.Description ?? $"a value matching {m.Pattern}"}; got {Show(value)}";
    }

    private static string? RangeMessage(RangeAttribute r, object value)
    {
        double v = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        double min = Convert.ToDouble(r.Minimum, CultureInfo.InvariantCulture);
        double max = Convert.ToDouble(r.Maximum, CultureInfo.InvariantCulture);
        bool ok = (r.MinimumIsExclusive ? v > min : v >= min) && (r.MaximumIsExclusive ? v < max : v <= max);
        return ok ? null : Between(r.Minimum, r.Maximum, r.MinimumIsExclusive, r.MaximumIsExclusive, value);
    }

    // An open upper end (int.MaxValue and friends) reads as "at least"; exclusive ends read as "greater/less than".
    private static string Between(object min, object max, bool minExclusive, bool maxExclusive, object value)
    {
        bool unbounded = Convert.ToDouble(max, CultureInfo.InvariantCulture) >= int.MaxValue;
        string got = $"; got {Show(value)}";
        if (unbounded)
            return (minExclusive ? $"must be greater than {Show(min)}" : $"must be at least {Show(min)}") + got;
        if (!minExclusive && !maxExclusive)
            return $"must be between {Show(min)} and {Show(max)}{got}";
        string low = minExclusive ? $"greater than {Show(min)}" : $"at least {Show(min)}";
        string high = maxExclusive ? $"less than {Show(max)}" : $"at most {Show(max)}";
        return $"must be {low} and {high}{got}";
    }
}
