using System.Net;

namespace KnPipeline.Stages.Models.Hub;

/// <summary>A Hub model cannot be fetched or found in the cache: missing repository, revision or required file,
/// access denied, or offline without a cached copy. The message names the model, the file and what to do.</summary>
public sealed class HubException(string message, HttpStatusCode? statusCode = null, Exception? inner = null)
    : Exception(message, inner)
{
    public HttpStatusCode? StatusCode { get; } = statusCode;
}
