using System.Text.Json;
using System.Text.Json.Serialization;

namespace KnPipeline.Stages.Downloads;

/// <summary>
/// <c>&lt;dir&gt;/&lt;name&gt;/.fetch.json</c>: what a dataset fetch saw. It holds the hashes of files the manifest
/// could not pin (archives published outside a repository): the first fetch records them and later fetches must
/// match (trust on first use). It also lists what each archive unpacked to, so a re-fetch can skip it.
/// </summary>
public sealed record FetchRecord
{
    public const string FileName = ".fetch.json";

    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("fetched_at")] public DateTimeOffset FetchedAt { get; init; }
    [JsonPropertyName("files")] public List<Entry> Files { get; init; } = [];

    /// <summary>One downloaded file; <see cref="Extracted"/> is set for archives.</summary>
    public sealed record Entry
    {
        [JsonPropertyName("path")] public required string Path { get; init; }
        [JsonPropertyName("url")] public string? Url { get; init; }
        [JsonPropertyName("size")] public long Size { get; init; }
        [JsonPropertyName("sha256")] public required string Sha256 { get; init; }
        [JsonPropertyName("extracted")] public List<Entry>? Extracted { get; init; }
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The record in <paramref name="datasetDir"/>, or null when there is none.</summary>
    public static FetchRecord? Read(string datasetDir)
    {
        string path = Path.Combine(datasetDir, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<FetchRecord>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"{path}: unreadable ({e.Message}); delete it to fetch again and re-record the archive hashes", e);
        }
    }

    public Entry? Find(string path) => Files.FirstOrDefault(f => f.Path == path);

    /// <summary>Writes atomically (temporary file, then rename).</summary>
    public void Write(string datasetDir)
    {
        string path = Path.Combine(datasetDir, FileName);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this, Json));
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
