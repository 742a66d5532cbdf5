namespace KnPipeline.Config;

/// <summary>Where a value was given: a file position, or an override (<see cref="Line"/> 0).</summary>
internal sealed record ConfigPosition(string Source, int Line, int Column)
{
    public ConfigError Error(string? key, string message) => new(Source, Line, Column, key, message);
}
