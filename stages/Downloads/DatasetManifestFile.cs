using System.Text.Json.Serialization;

namespace KnPipeline.Stages.Downloads;

/// <summary>One entry of a <see cref="DatasetManifest"/>: a published file, or an archive to unpack.</summary>
public sealed record DatasetManifestFile
{
    /// <summary>Where the file goes, relative to the dataset folder (for an archive: the archive's own name).</summary>
    [JsonPropertyName("path")] public required string Path { get; init; }

    /// <summary>The published URL (a GitHub raw URL at a pinned commit, or the archive's address).</summary>
    [JsonPropertyName("url")] public required string Url { get; init; }

    [JsonPropertyName("size")] public long? Size { get; init; }

    /// <summary>Lower-case hex; null when unknown in advance (then the first fetch records it: trust on first use).</summary>
    [JsonPropertyName("sha256")] public string? Sha256 { get; init; }

    /// <summary>null for a plain file; "zip", "tar.gz" (or "tgz") or "tar" to unpack into the dataset folder.</summary>
    [JsonPropertyName("unpack")] public string? Unpack { get; init; }

    /// <summary>Leading path components dropped from archive entries (1 turns <c>mlama1.1/en/x</c> into <c>en/x</c>).</summary>
    [JsonPropertyName("strip_components")] public int StripComponents { get; init; }

    [JsonPropertyName("note")] public string? Note { get; init; }

    [JsonIgnore] public bool IsArchive => Unpack != null;
}
