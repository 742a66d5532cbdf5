using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace KnPipeline.Config;

/// <summary>
/// Turns YAML text into a <see cref="ConfigNode"/> tree with positions, using YamlDotNet's parser events. We compose
/// the tree ourselves instead of using <c>YamlStream</c> because its mapping node throws on the first duplicate key
/// without saying where the key lives; here duplicates stay in the tree and the binder reports each with its path.
/// </summary>
internal static class YamlComposer
{
    /// <summary>The root node of the single document in <paramref name="text"/>, or null for an empty file.</summary>
    public static ConfigNode? Compose(string text, string source, List<ConfigError> errors)
    {
        string[] lines = text.Split('\n');
        if (TabErrors(lines, source) is { Count: > 0 } tabs)
        {
            // The parser's own tab message points at the wrong line; ours names every tabbed line.
            errors.AddRange(tabs);
            return null;
        }
        try
        {
            var parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            var anchors = new Dictionary<string, ConfigNode>(StringComparer.Ordinal);
            ConfigNode? root = null;
            int documents = 0;
            while (parser.TryConsume<DocumentStart>(out var start))
            {
                if (++documents == 2)
                {
                    errors.Add(new ConfigError(source, Line(start.Start), Column(start.Start), null,
                        "a config file holds one YAML document; found a second one ('---')"));
                    return null;
                }
                root = Node(parser, anchors);
                parser.Consume<DocumentEnd>();
            }
            parser.Consume<StreamEnd>();
            return root is ScalarNode { IsNull: true } ? null : root;
        }
        catch (YamlException e)
        {
            int line = Line(e.Start);
            string near = NearKey(lines, line - 1) is { } key ? $" near '{key}'" : "";
            errors.Add(new ConfigError(source, line, Column(e.Start), null, $"broken YAML{near}: {e.Message}"));
            return null;
        }
    }

    private static ConfigNode Node(IParser parser, Dictionary<string, ConfigNode> anchors)
    {
        ConfigNode node;
        AnchorName anchor;
        if (parser.TryConsume<Scalar>(out var s))
        {
            bool explicitString = !s.Tag.IsEmpty && s.Tag.Value is "tag:yaml.org,2002:str" or "!!str";
            node = new ScalarNode(Line(s.Start), Column(s.Start), s.Value, s.Style, explicitString);
            anchor = s.Anchor;
        }
        else if (parser.TryConsume<SequenceStart>(out var ss))
        {
            var items = new List<ConfigNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
                items.Add(Node(parser, anchors));
            node = new SequenceNode(Line(ss.Start), Column(ss.Start), items);
            anchor = ss.Anchor;
        }
        else if (parser.TryConsume<MappingStart>(out var ms))
        {
            var entries = new List<KeyValuePair<ConfigNode, ConfigNode>>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var key = Node(parser, anchors);
                entries.Add(new(key, Node(parser, anchors)));
            }
            node = new MappingNode(Line(ms.Start), Column(ms.Start), entries);
            anchor = ms.Anchor;
        }
        else
        {
            var alias = parser.Consume<AnchorAlias>();
            return anchors.TryGetValue(alias.Value.Value, out var target)
                ? target
                : throw new YamlException(alias.Start, alias.End, $"unknown alias '*{alias.Value.Value}'");
        }
        if (!anchor.IsEmpty)
            anchors[anchor.Value] = node;
        return node;
    }

    private static List<ConfigError> TabErrors(string[] lines, string source)
    {
        var errors = new List<ConfigError>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            int indent = line.Length - line.TrimStart(' ', '\t').Length;
            int tab = line.IndexOf('\t', 0, indent);
            if (tab < 0 || indent == line.TrimEnd('\r').Length)
                continue; // no tab in the indentation, or a blank line, which YAML ignores
            string near = NearKey(lines, i) is { } key ? $" near '{key}'" : "";
            errors.Add(new ConfigError(source, i + 1, tab + 1, null,
                $"broken YAML{near}: tab character in the indentation; YAML indents with spaces"));
        }
        return errors;
    }

    /// <summary>
    /// A best guess at the key path of line <paramref name="index"/> (0-based) from indentation alone, for messages
    /// about YAML that does not parse: the line's own key, else the closest key above it, then its parents.
    /// </summary>
    private static string? NearKey(string[] lines, int index)
    {
        index = Math.Min(index, lines.Length - 1);
        while (index >= 0 && KeyOf(lines[index]) == null)
            index--;
        if (index < 0)
            return null;
        var path = new List<string> { KeyOf(lines[index])! };
        int indent = Indent(lines[index]);
        for (int j = index - 1; j >= 0 && indent > 0; j--)
        {
            if (KeyOf(lines[j]) is { } parent && Indent(lines[j]) < indent)
            {
                path.Insert(0, parent);
                indent = Indent(lines[j]);
            }
        }
        return string.Join('.', path);
    }

    private static string? KeyOf(string line)
    {
        string t = line.TrimStart(' ', '\t');
        if (t.StartsWith("- ", StringComparison.Ordinal))
            t = t[2..].TrimStart();
        int colon = t.IndexOf(':');
        if (t.Length == 0 || t[0] == '#' || colon <= 0)
            return null;
        string key = t[..colon].Trim().Trim('"', '\'');
        return key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '{' or '[' or '#') ? null : key;
    }

    private static int Indent(string line) => line.Length - line.TrimStart(' ', '\t').Length;

    private static int Line(Mark m) => (int)m.Line;

    private static int Column(Mark m) => (int)m.Column;
}
