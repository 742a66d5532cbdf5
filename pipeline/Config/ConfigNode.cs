using YamlDotNet.Core;

namespace KnPipeline.Config;

/// <summary>A YAML node with the position of its first character (1-based line and column).</summary>
internal abstract record ConfigNode(int Line, int Column)
{
    /// <summary>How error messages name this node's shape ("a list", "a mapping", or the scalar quoted).</summary>
    public abstract string Describe();
}

/// <summary>
/// A scalar. <see cref="IsNull"/> follows YAML's core schema: plain <c>~</c>, <c>null</c> or nothing.
/// </summary>
internal sealed record ScalarNode(int Line, int Column, string Value, ScalarStyle Style, bool ExplicitString)
    : ConfigNode(Line, Column)
{
    public bool IsNull => Style == ScalarStyle.Plain && !ExplicitString &&
                          Value is "" or "~" or "null" or "Null" or "NULL";

    public override string Describe() => IsNull ? "null" : $"'{Value}'";
}

internal sealed record SequenceNode(int Line, int Column, IReadOnlyList<ConfigNode> Items) : ConfigNode(Line, Column)
{
    public override string Describe() => "a list";
}

/// <summary>A mapping, keeping every entry in file order, duplicates included, so the binder can report them.</summary>
internal sealed record MappingNode(int Line, int Column, IReadOnlyList<KeyValuePair<ConfigNode, ConfigNode>> Entries)
    : ConfigNode(Line, Column)
{
    public override string Describe() => "a mapping";
}
