using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace KnPipeline.Stages.Downloads;

/// <summary>
/// Where a public dataset lives and what its files must hash to: <c>benchmarks-data/downloads/&lt;name&gt;.json</c>.
/// The fetcher lays the files out under <c>&lt;dir&gt;/&lt;name&gt;/&lt;path&gt;</c>, the flat layout the loaders read.
/// </summary>
public sealed partial record DatasetManifest
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("license")] public string? License { get; init; }
    [JsonPropertyName("homepage")] public string? Homepage { get; init; }
    [JsonPropertyName("repository")] public string? Repository { get; init; }
    [JsonPropertyName("commit")] public string? Commit { get; init; }
    [JsonPropertyName("citation")] public string? Citation { get; init; }
    [JsonPropertyName("notes")] public string? Notes { get; init; }
    [JsonPropertyName("files")] public required IReadOnlyList<DatasetManifestFile> Files { get; init; }

    /// <summary>Reads and validates a manifest; <paramref name="source"/> names it in errors.</summary>
    public static DatasetManifest Parse(Stream json, string source)
    {
        DatasetManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<DatasetManifest>(json,
                new JsonSerializerOptions { ReadCommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a valid dataset manifest: {e.Message}", e);
        }
        if (manifest == null) throw new InvalidDataException($"{source}: empty manifest");
        manifest.Validate(source);
        return manifest;
    }

    public static DatasetManifest Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Parse(stream, path);
    }

    private void Validate(string source)
    {
        if (!NamePattern().IsMatch(Name))
            throw new InvalidDataException($"{source}: key 'name' = '{Name}' must be a plain folder name");
        if (Files.Count == 0) throw new InvalidDataException($"{source}: key 'files' is empty");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Files.Count; i++)
        {
            var f = Files[i];
            string where = $"{source}: files[{i}] ('{f.Path}')";
            if (!IsSafeRelativePath(f.Path))
                throw new InvalidDataException($"{where}: 'path' must be relative, with '/' separators and no '..'");
            if (!seen.Add(f.Path)) throw new InvalidDataException($"{where}: duplicate 'path'");
            if (!Uri.TryCreate(f.Url, UriKind.Absolute, out var url) || (url.Scheme != "http" && url.Scheme != "https"))
                throw new InvalidDataException($"{where}: 'url' must be an absolute http(s) URL, got '{f.Url}'");
            if (f.Sha256 != null && !Sha256Pattern().IsMatch(f.Sha256))
                throw new InvalidDataException($"{where}: 'sha256' must be 64 hex digits or null");
            if (f.Size is < 0) throw new InvalidDataException($"{where}: 'size' must not be negative");
            if (f.Unpack is not (null or "zip" or "tar.gz" or "tgz" or "tar"))
                throw new InvalidDataException($"{where}: 'unpack' must be zip, tar.gz, tgz, tar or null, got '{f.Unpack}'");
            if (f.StripComponents < 0) throw new InvalidDataException($"{where}: 'strip_components' must be >= 0");
        }
    }

    /// <summary>A relative path that cannot leave the folder it is combined with.</summary>
    public static bool IsSafeRelativePath(string path) =>
        path.Length > 0 && !path.StartsWith('/') && !path.Contains('\\') && !path.Contains(':') &&
        path.Split('/').All(part => part.Length > 0 && part != "." && part != "..");

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Pattern();
}
