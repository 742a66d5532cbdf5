using System.Net.Http.Headers;

namespace KnPipeline.Stages.Downloads;

/// <summary>One file to download with <see cref="FileDownloader"/>.</summary>
/// <param name="Url">Where to GET it; redirects are followed.</param>
/// <param name="DestinationPath">The final file; it only appears once complete and verified (atomic rename).</param>
/// <param name="DisplayName">How errors and progress name the file (a dataset path or a Hub file name).</param>
/// <param name="ExpectedSize">Checked after the download when known.</param>
/// <param name="ExpectedSha256">Lower- or upper-case hex; checked after the download when known.</param>
/// <param name="PartialPath">Where the bytes accumulate; a previous partial file there is resumed with a Range
/// request. Defaults to <c>DestinationPath + ".part"</c>.</param>
/// <param name="Authorization">Sent to the first host only: dropped as soon as a redirect changes host.</param>
public sealed record DownloadRequest(
    Uri Url,
    string DestinationPath,
    string DisplayName,
    long? ExpectedSize = null,
    string? ExpectedSha256 = null,
    string? PartialPath = null,
    AuthenticationHeaderValue? Authorization = null)
{
    public string EffectivePartialPath => PartialPath ?? DestinationPath + ".part";
}
