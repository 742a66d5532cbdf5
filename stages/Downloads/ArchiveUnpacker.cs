using System.Formats.Tar;
using System.IO.Compression;

namespace KnPipeline.Stages.Downloads;

/// <summary>
/// Unpacks a .zip, .tar.gz or .tar into a folder, dropping leading path components. Only regular files are written;
/// entries that would land outside the folder (absolute paths, <c>..</c>) are refused, and links are skipped, so a
/// hostile archive cannot write elsewhere. Each file is written to a temporary name and renamed.
/// </summary>
public static class ArchiveUnpacker
{
    /// <summary>Unpacks and returns the written files, relative to <paramref name="destination"/>, with '/'.</summary>
    /// <param name="format">"zip", "tar.gz", "tgz" or "tar".</param>
    public static IReadOnlyList<string> Unpack(string archive, string format, string destination, int stripComponents,
        CancellationToken ct)
    {
        var written = new List<string>();
        switch (format)
        {
            case "zip":
                using (var zip = ZipFile.OpenRead(archive))
                    foreach (var entry in zip.Entries)
                    {
                        ct.ThrowIfCancellationRequested();
                        if (entry.FullName.EndsWith('/')) continue;  // directory entry
                        string? rel = Target(archive, entry.FullName, stripComponents);
                        if (rel == null) continue;
                        using var source = entry.Open();
                        Write(source, destination, rel);
                        written.Add(rel);
                    }
                break;
            case "tar.gz" or "tgz" or "tar":
                using (var file = File.OpenRead(archive))
                using (Stream stream = format == "tar" ? file : new GZipStream(file, CompressionMode.Decompress))
                using (var tar = new TarReader(stream))
                    while (tar.GetNextEntry() is { } entry)
                    {
                        ct.ThrowIfCancellationRequested();
                        if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                        string? rel = Target(archive, entry.Name, stripComponents);
                        if (rel == null || entry.DataStream == null) continue;
                        Write(entry.DataStream, destination, rel);
                        written.Add(rel);
                    }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), $"unsupported archive format '{format}'");
        }
        return written;
    }

    private static string? Target(string archive, string entryName, int strip)
    {
        var parts = entryName.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => p != ".").ToArray();
        if (parts.Length <= strip) return null;  // the stripped top folder itself
        string rel = string.Join('/', parts[strip..]);
        if (!DatasetManifest.IsSafeRelativePath(rel) || Path.IsPathRooted(entryName))
            throw new InvalidDataException($"{archive}: entry '{entryName}' would be written outside the dataset folder");
        return rel;
    }

    private static void Write(Stream source, string destination, string rel)
    {
        string target = Path.Combine(destination, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        string tmp = target + ".unpack";
        using (var output = File.Create(tmp))
            source.CopyTo(output);
        File.Move(tmp, target, overwrite: true);
    }
}
