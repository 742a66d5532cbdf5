namespace KnPipeline.Tests.Downloads;

/// <summary>A request as the loopback server received it.</summary>
public sealed record LoopbackRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    /// <summary>The start of a "bytes=N-" Range header, or null.</summary>
    public long? RangeStart =>
        Header("Range") is { } r && r.StartsWith("bytes=", StringComparison.Ordinal) && r.EndsWith('-') &&
        long.TryParse(r[6..^1], out long start) ? start : null;
}
