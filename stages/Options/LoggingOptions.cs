namespace KnPipeline.Stages.Options;

/// <summary>
/// The <c>logging:</c> section. Logs go to stderr and, with <see cref="File"/>, to the run's logs/ folder.
/// </summary>
public sealed class LoggingOptions
{
    public const string SectionName = "logging";

    public LoggingLevel Level { get; set; } = LoggingLevel.Information;

    /// <summary>Also write <c>runs/&lt;id&gt;/logs/pipeline.log</c>.</summary>
    public bool File { get; set; } = true;

    public IEnumerable<OptionError> Validate() => OptionChecks.Check(this, SectionName);
}
