namespace KnPipeline.Stages.Options;

/// <summary>Minimum level of log events (<c>logging.level</c>).</summary>
public enum LoggingLevel
{
    Verbose,
    Debug,
    Information,
    Warning,
    Error,
}
