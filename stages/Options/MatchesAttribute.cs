namespace KnPipeline.Stages.Options;

/// <summary>
/// A string option (or every item of a list of strings) must match <see cref="Pattern"/>, a full-match regular
/// expression. <see cref="Description"/> is what the error message says is expected, e.g. "a language code like en".
/// A null value of a nullable property is not checked.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MatchesAttribute(string pattern) : Attribute
{
    public string Pattern { get; } = pattern;

    public string? Description { get; init; }
}
