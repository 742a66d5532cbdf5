namespace KnPipeline.Stages.Downloads;

/// <summary>A downloaded (or already present) file does not have the expected size or SHA-256. The bad bytes have been
/// deleted; the message names the file, the URL, and the expected and actual values.</summary>
public sealed class DownloadVerificationException(string file, Uri url, string what, string expected, string actual)
    : DownloadException(
        $"{what} mismatch for {file} from {url}: expected {expected}, got {actual}. The downloaded bytes were deleted; " +
        "the server or the manifest is wrong (or the file changed upstream).", url)
{
    /// <summary>The file as the manifest or the Hub names it.</summary>
    public string File { get; } = file;

    /// <summary>"size" or "sha256".</summary>
    public string What { get; } = what;

    public string Expected { get; } = expected;

    public string Actual { get; } = actual;
}
