namespace KnPipeline.Stages.Downloads;

/// <summary>What <see cref="DatasetFetcher.FetchAsync"/> did.</summary>
/// <param name="Name">The dataset name.</param>
/// <param name="Path">The dataset folder, <c>&lt;dir&gt;/&lt;name&gt;</c>.</param>
/// <param name="Files">Manifest entries (plain files and archives).</param>
/// <param name="Downloaded">Entries downloaded by this fetch.</param>
/// <param name="Skipped">Entries already present with the right hash (for an archive: everything it unpacked to).</param>
/// <param name="BytesDownloaded">Bytes received over the network.</param>
/// <param name="Unpacked">Files written by unpacking archives in this fetch.</param>
public sealed record DatasetFetchResult(
    string Name,
    string Path,
    int Files,
    int Downloaded,
    int Skipped,
    long BytesDownloaded,
    int Unpacked);
