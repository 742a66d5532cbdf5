using System.Text;

namespace KnPipeline.Tests.Downloads;

/// <summary>What the loopback server answers.</summary>
public sealed class LoopbackResponse
{
    public int Status { get; init; } = 200;
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
    public byte[] Body { get; init; } = [];

    /// <summary>Send only this many body bytes (with the full Content-Length), then drop the connection.</summary>
    public int? CloseAfterBytes { get; init; }

    public static LoopbackResponse Text(int status, string text) =>
        new() { Status = status, Body = Encoding.UTF8.GetBytes(text) };

    public static LoopbackResponse NotFound() => Text(404, "not found");

    public static LoopbackResponse Redirect(string location, int status = 302)
    {
        var r = new LoopbackResponse { Status = status };
        r.Headers["Location"] = location;
        return r;
    }

    /// <summary>The content, as 206 with Content-Range when the request has a satisfiable "bytes=N-" Range and
    /// <paramref name="honourRange"/>; else 200 with everything.</summary>
    public static LoopbackResponse Content(byte[] content, LoopbackRequest request, bool honourRange = true,
        int? closeAfterBytes = null)
    {
        if (honourRange && request.RangeStart is long start)
        {
            if (start >= content.Length)
            {
                var unsatisfiable = new LoopbackResponse { Status = 416 };
                unsatisfiable.Headers["Content-Range"] = $"bytes */{content.Length}";
                return unsatisfiable;
            }
            var partial = new LoopbackResponse
                { Status = 206, Body = content[(int)start..], CloseAfterBytes = closeAfterBytes };
            partial.Headers["Content-Range"] = $"bytes {start}-{content.Length - 1}/{content.Length}";
            return partial;
        }
        var full = new LoopbackResponse { Status = 200, Body = content, CloseAfterBytes = closeAfterBytes };
        full.Headers["Accept-Ranges"] = "bytes";
        return full;
    }
}
