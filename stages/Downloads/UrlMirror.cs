namespace KnPipeline.Stages.Downloads;

/// <summary>
/// <c>--mirror URL</c> / <c>KN_DATA_MIRROR</c>: replaces the scheme and host (and port) of every manifest URL, keeping
/// its path and query, so <c>https://raw.githubusercontent.com/yanaiela/pararel/&lt;commit&gt;/data/x.jsonl</c> with
/// mirror <c>http://127.0.0.1:8080/gh</c> becomes <c>http://127.0.0.1:8080/gh/yanaiela/pararel/&lt;commit&gt;/data/x.jsonl</c>.
/// </summary>
public static class UrlMirror
{
    /// <summary>The environment variable read when no <c>--mirror</c> is given.</summary>
    public const string EnvironmentVariable = "KN_DATA_MIRROR";

    /// <summary>Checks a mirror base URL; null when valid, else the reason.</summary>
    public static string? Validate(string mirror) =>
        Uri.TryCreate(mirror, UriKind.Absolute, out var uri) && (uri.Scheme == "http" || uri.Scheme == "https") &&
        string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment)
            ? null
            : $"mirror '{mirror}' must be an absolute http(s) URL without query or fragment, e.g. http://host:8080/prefix";

    /// <summary>The URL as served by <paramref name="mirror"/>; the URL itself when the mirror is null.</summary>
    public static Uri Apply(string url, string? mirror)
    {
        var original = new Uri(url, UriKind.Absolute);
        if (mirror == null) return original;
        if (Validate(mirror) is { } error) throw new ArgumentException(error, nameof(mirror));
        return new Uri(mirror.TrimEnd('/') + original.PathAndQuery, UriKind.Absolute);
    }
}
