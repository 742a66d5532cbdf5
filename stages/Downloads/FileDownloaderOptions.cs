namespace KnPipeline.Stages.Downloads;

/// <summary>Retry and timeout policy of <see cref="FileDownloader"/>.</summary>
public sealed record FileDownloaderOptions
{
    /// <summary>HTTP attempts per file. A dropped connection, a read timeout or a 5xx/429 answer is retried, resuming
    /// from the bytes already in the partial file.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Delay before the first retry; it doubles on each further retry.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A read that receives nothing for this long counts as a dropped connection.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Time allowed to connect and receive the response headers.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public int MaxRedirects { get; init; } = 10;

    public string UserAgent { get; init; } = "kn-pipeline/1.0";
}
