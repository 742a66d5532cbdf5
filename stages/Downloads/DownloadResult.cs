namespace KnPipeline.Stages.Downloads;

/// <summary>What <see cref="FileDownloader.DownloadAsync"/> did for one file.</summary>
/// <param name="Path">The verified file.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Sha256">Its SHA-256, lower-case hex.</param>
/// <param name="BytesTransferred">Bytes received over the network by this call (0 when a complete partial file was
/// only verified and renamed).</param>
/// <param name="ResumedFrom">The offset of the partial file that a server honoured with a 206 answer, else 0.</param>
/// <param name="RangeIgnored">True when a partial file existed but the server answered a Range request with the whole
/// file, so the download restarted from byte 0.</param>
/// <param name="Attempts">HTTP attempts made (more than 1 after a dropped connection was resumed).</param>
public sealed record DownloadResult(
    string Path,
    long Size,
    string Sha256,
    long BytesTransferred,
    long ResumedFrom,
    bool RangeIgnored,
    int Attempts);
