namespace KnPipeline.Stages.Options;

/// <summary>
/// One invalid option value: <paramref name="Key"/> is the full YAML key path (<c>attribution.steps</c>,
/// <c>data.languages[1]</c>) and <paramref name="Message"/> says what is allowed and what was given
/// (<c>must be between 1 and 1000; got 0</c>). The config loader adds the file, line and column.
/// </summary>
public sealed record OptionError(string Key, string Message)
{
    public override string ToString() => $"{Key}: {Message}";
}
