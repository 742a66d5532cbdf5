namespace KnPipeline.Config;

/// <summary>
/// The configuration could not be loaded. <see cref="Errors"/> holds every problem found (not just the first), and
/// the message is those errors, one per line, ready to print.
/// </summary>
public sealed class ConfigException(IReadOnlyList<ConfigError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}
