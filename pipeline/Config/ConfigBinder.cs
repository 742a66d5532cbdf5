using System.Globalization;
using KnPipeline.Stages.Options;

namespace KnPipeline.Config;

/// <summary>
/// Binds a <see cref="ConfigNode"/> tree onto options objects by reflection (<see cref="OptionsSchema"/>). It never
/// stops at the first problem: each one becomes a <see cref="ConfigError"/> and binding goes on with the next key.
/// It also records where every key path was given, so later validation errors can name the line.
/// </summary>
internal sealed class ConfigBinder(
    Type rootType,
    string source,
    bool withPositions,
    List<ConfigError> errors,
    Dictionary<string, ConfigPosition> locations)
{
    /// <summary>Binds a whole document; null (an empty file) leaves every default in place.</summary>
    public void BindDocument(ConfigNode? root, object target)
    {
        if (root == null)
            return;
        if (root is MappingNode map)
            BindMapping(map, target, "");
        else
            Error(root, null, $"the file must hold 'section:' blocks (run:, data:, …); got {root.Describe()}");
    }

    /// <summary>Binds one value at a dotted key path (a <c>--set</c> override).</summary>
    public void BindPath(object root, string path, ConfigNode value)
    {
        string[] parts = path.Split('.');
        object target = root;
        string prefix = "";
        for (int i = 0; i < parts.Length; i++)
        {
            string keyPath = Join(prefix, parts[i]);
            var prop = OptionsSchema.Find(target.GetType(), parts[i]);
            if (prop == null)
            {
                Error(value, keyPath, RetiredKeys.Message(keyPath, value)
                                      ?? UnknownKey(target.GetType(), prefix, parts[i]));
                return;
            }
            if (i == parts.Length - 1)
            {
                BindProperty(prop, target, value, keyPath);
                return;
            }
            if (prop.Kind != OptionValueKind.Section)
            {
                Error(value, keyPath, $"is a single value and has no key '{parts[i + 1]}'");
                return;
            }
            target = SectionOf(prop, target);
            prefix = keyPath;
        }
    }

    private void BindMapping(MappingNode map, object target, string path)
    {
        var seen = new Dictionary<string, ConfigNode>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in map.Entries)
        {
            if (keyNode is not ScalarNode { IsNull: false } key)
            {
                Error(keyNode, path, $"keys must be plain names; got {keyNode.Describe()}");
                continue;
            }
            string keyPath = Join(path, key.Value);
            if (seen.TryGetValue(key.Value, out var first))
            {
                Error(key, keyPath, $"duplicate key (first given at line {first.Line})");
                continue;
            }
            seen[key.Value] = key;
            var prop = OptionsSchema.Find(target.GetType(), key.Value);
            if (prop == null)
                Error(key, keyPath,
                    RetiredKeys.Message(keyPath, value) ?? UnknownKey(target.GetType(), path, key.Value));
            else
                BindProperty(prop, target, value, keyPath);
        }
    }

    private void BindProperty(OptionProperty prop, object target, ConfigNode node, string keyPath)
    {
        locations[keyPath] = Position(node);
        switch (prop.Kind)
        {
            case OptionValueKind.Section when node is ScalarNode { IsNull: true }:
                return; // a section whose keys are all commented out keeps its defaults
            case OptionValueKind.Section when node is MappingNode map:
                BindMapping(map, SectionOf(prop, target), keyPath);
                return;
            case OptionValueKind.Section:
                Error(node, keyPath, $"expected a section of 'key: value' lines, got {node.Describe()}");
                return;
            case OptionValueKind.List when node is SequenceNode seq:
                var items = new List<object?>();
                for (int i = 0; i < seq.Items.Count; i++)
                {
                    string itemPath = $"{keyPath}[{i}]";
                    locations[itemPath] = Position(seq.Items[i]);
                    if (TryScalar(seq.Items[i], prop.ValueType, false, itemPath, out var item))
                        items.Add(item);
                }
                if (items.Count == seq.Items.Count)
                    prop.SetValue(target, OptionsSchema.CreateList(prop, items));
                return;
            case OptionValueKind.List when node is ScalarNode { IsNull: true } && prop.IsNullable:
                prop.SetValue(target, null);
                return;
            case OptionValueKind.List when node is ScalarNode { IsNull: true }:
                Error(node, keyPath, "must not be null; write [] for an empty list");
                return;
            case OptionValueKind.List when node is ScalarNode s:
                Error(node, keyPath, $"expected a list like [{s.Value}], got '{s.Value}'");
                return;
            case OptionValueKind.List:
                Error(node, keyPath, $"expected a list, got {node.Describe()}");
                return;
            default:
                if (TryScalar(node, prop.ValueType, prop.IsNullable, keyPath, out var value))
                    prop.SetValue(target, value);
                return;
        }
    }

    private bool TryScalar(ConfigNode node, Type type, bool nullable, string keyPath, out object? value)
    {
        value = null;
        string? problem;
        if (node is not ScalarNode s)
            problem = $"expected a single value, got {node.Describe()}";
        else if (s.IsNull)
            problem = nullable ? null : "must not be null (leave the key out to keep the default)";
        else
            problem = Convert(s.Value, type, out value);
        if (problem != null)
            Error(node, keyPath, problem);
        return problem == null;
    }

    // Returns null on success, else the message. Numbers are parsed in the invariant culture, so "0,5" is an error
    // everywhere rather than 5 in some locales.
    private static string? Convert(string text, Type type, out object? value)
    {
        value = null;
        var inv = CultureInfo.InvariantCulture;
        if (type == typeof(string))
            value = text;
        else if (type == typeof(bool))
            value = text.ToLowerInvariant() switch { "true" => true, "false" => false, _ => null };
        else if (type == typeof(int))
            value = int.TryParse(text, NumberStyles.AllowLeadingSign, inv, out int i) ? i : null;
        else if (type == typeof(long))
            value = long.TryParse(text, NumberStyles.AllowLeadingSign, inv, out long l) ? l : null;
        else if (type == typeof(double))
            value = double.TryParse(text, NumberStyles.Float, inv, out double d) && double.IsFinite(d) ? d : null;
        else if (type.IsEnum && OptionNames.TryParse(type, text, out var e))
            value = e;
        if (value != null)
            return null;
        if (type.IsEnum)
        {
            var allowed = OptionNames.Values(type);
            string hint = KeySuggestions.Closest(text, allowed) is { } c ? $" (did you mean '{c}'?)" : "";
            return $"must be one of {string.Join(", ", allowed)}; got '{text}'{hint}";
        }
        string expected = type == typeof(bool) ? "true or false" : type == typeof(double) ? "a number" : "an integer";
        return $"expected {expected}, got '{text}'";
    }

    private string UnknownKey(Type type, string path, string key)
    {
        var keys = OptionsSchema.Properties(type).Select(p => p.Key).ToList();
        if (KeySuggestions.Closest(key, keys) is { } close)
            return $"unknown key (did you mean '{Join(path, close)}'?)";
        // A right key in the wrong section ("attribution.seed", or "steps" at the top) is a common slip.
        var elsewhere = OptionsSchema.Properties(rootType)
            .Where(s => s.Kind == OptionValueKind.Section && OptionsSchema.Find(s.ValueType, key) != null)
            .Select(s => $"'{s.Key}.{key}'").ToList();
        if (elsewhere.Count > 0)
            return $"unknown key (did you mean {string.Join(" or ", elsewhere)}?)";
        string what = path.Length == 0 ? "sections are" : $"keys of {path} are";
        return $"unknown key ({what} {string.Join(", ", keys)})";
    }

    private static object SectionOf(OptionProperty prop, object target)
    {
        if (prop.GetValue(target) is { } existing)
            return existing;
        object created = Activator.CreateInstance(prop.ValueType)!;
        prop.SetValue(target, created);
        return created;
    }

    private void Error(ConfigNode at, string? key, string message) => errors.Add(Position(at).Error(key, message));

    // Positions inside an override's value text ("[en, fr]") mean nothing to the user; the override itself is named.
    private ConfigPosition Position(ConfigNode node) =>
        withPositions ? new(source, node.Line, node.Column) : new(source, 0, 0);

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}
