using System.Net;

namespace KnPipeline.Stages.Downloads;

/// <summary>A download failed: an HTTP error status, too many redirects, or a connection that kept failing. The
/// message names the file and the URL.</summary>
public class DownloadException(string message, Uri? url = null, HttpStatusCode? statusCode = null,
    Exception? inner = null) : Exception(message, inner)
{
    public Uri? Url { get; } = url;

    /// <summary>The HTTP status when the server answered with an error, else null.</summary>
    public HttpStatusCode? StatusCode { get; } = statusCode;
}
