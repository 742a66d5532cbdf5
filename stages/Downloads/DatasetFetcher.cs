using KnPipeline.Stages.Models;

namespace KnPipeline.Stages.Downloads;

/// <summary>
/// Fetches a dataset described by a <see cref="DatasetManifest"/> into <c>&lt;dir&gt;/&lt;name&gt;/</c>: plain files
/// at their manifest paths (the flat layout the loaders read), archives unpacked there. Files already present with the
/// right hash are skipped; everything else goes through <see cref="FileDownloader"/> (resume, verify, rename).
/// </summary>
public sealed class DatasetFetcher(FileDownloader downloader, DownloadProgress? progress = null, int parallelism = 4)
{
    private readonly DownloadProgress _progress = progress ?? DownloadProgress.None;

    /// <param name="mirror">Base URL replacing the scheme and host of every manifest URL
    /// (<see cref="UrlMirror"/>).</param>
    public async Task<DatasetFetchResult> FetchAsync(DatasetManifest manifest, string targetDir, string? mirror,
        CancellationToken ct)
    {
        string root = Path.GetFullPath(Path.Combine(targetDir, manifest.Name));
        Directory.CreateDirectory(root);
        var record = FetchRecord.Read(root) ?? new FetchRecord { Name = manifest.Name };
        int skipped = 0, downloaded = 0, unpacked = 0;
        long bytes = 0;

        var todo = new List<DatasetManifestFile>();
        foreach (var file in manifest.Files.Where(f => !f.IsArchive))
        {
            if (await IsPresentAsync(Path.Combine(root, file.Path), file.Size, ExpectedSha(file, record), ct))
                skipped++;
            else
                todo.Add(file);
        }
        _progress.Expect(todo.Sum(f => f.Size ?? 0));
        // Read before the parallel loop: the loop adds to the record under a lock.
        var expected = todo.ToDictionary(f => f.Path, f => ExpectedSha(f, record));
        // Many small files (mParaRel has 2,243): a few requests in flight hide the per-request latency.
        await Parallel.ForEachAsync(todo,
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct },
            async (file, token) =>
            {
                var result = await downloader.DownloadAsync(Request(root, file, mirror, expected[file.Path]),
                    _progress, token);
                Interlocked.Add(ref bytes, result.BytesTransferred);
                Interlocked.Increment(ref downloaded);
                if (file.Sha256 == null)
                    lock (record) Remember(record, new FetchRecord.Entry
                        { Path = file.Path, Url = file.Url, Size = result.Size, Sha256 = result.Sha256 });
            });

        foreach (var archive in manifest.Files.Where(f => f.IsArchive))
        {
            var previous = record.Find(archive.Path);
            if (previous?.Extracted is { } extracted && await AllPresentAsync(root, extracted, ct))
            {
                skipped++;
                continue;
            }
            var (entry, transferred) = await FetchArchiveAsync(root, archive, mirror, previous, ct);
            bytes += transferred;
            downloaded++;
            unpacked += entry.Extracted!.Count;
            Remember(record, entry);
            record.Write(root);  // now, so a failure in a later archive does not lose this one's hash
        }
        (record with { FetchedAt = DateTimeOffset.UtcNow }).Write(root);
        _progress.Finish();
        return new DatasetFetchResult(manifest.Name, root, manifest.Files.Count, downloaded, skipped, bytes, unpacked);
    }

    private async Task<(FetchRecord.Entry Entry, long Transferred)> FetchArchiveAsync(string root,
        DatasetManifestFile archive, string? mirror, FetchRecord.Entry? previous, CancellationToken ct)
    {
        string downloads = Path.Combine(root, ".downloads");
        string local = Path.Combine(downloads, archive.Path);
        string? expected = archive.Sha256 ?? previous?.Sha256;
        if (archive.Size is long size) _progress.Expect(size);
        DownloadResult result;
        try
        {
            result = await downloader.DownloadAsync(
                new DownloadRequest(UrlMirror.Apply(archive.Url, mirror), local, archive.Path, archive.Size, expected),
                _progress, ct);
        }
        catch (DownloadVerificationException e) when (archive.Sha256 == null && e.What == "sha256")
        {
            throw new DownloadException(
                $"{e.Message} The expected hash is the one the first fetch recorded in " +
                $"{Path.Combine(root, FetchRecord.FileName)} (trust on first use): the archive changed since then. " +
                "Delete that file to accept the new archive.", e.Url, inner: e);
        }
        _progress.Message($"{archive.Path}: unpacking into {root}");
        var files = ArchiveUnpacker.Unpack(local, archive.Unpack!, root, archive.StripComponents, ct);
        var extracted = new List<FetchRecord.Entry>(files.Count);
        foreach (string rel in files)
        {
            var (fileSize, sha) = await FileDownloader.HashFileAsync(Path.Combine(root, rel), ct);
            extracted.Add(new FetchRecord.Entry { Path = rel, Size = fileSize, Sha256 = sha });
        }
        // The unpacked files are what the loaders read; keeping the archive too would double the disk use.
        File.Delete(local);
        if (!Directory.EnumerateFileSystemEntries(downloads).Any()) Directory.Delete(downloads);
        var entry = new FetchRecord.Entry
        {
            Path = archive.Path, Url = archive.Url, Size = result.Size, Sha256 = result.Sha256, Extracted = extracted,
        };
        return (entry, result.BytesTransferred);
    }

    private static DownloadRequest Request(string root, DatasetManifestFile file, string? mirror, string? sha) =>
        new(UrlMirror.Apply(file.Url, mirror), Path.Combine(root, file.Path), file.Path, file.Size, sha);

    private static string? ExpectedSha(DatasetManifestFile file, FetchRecord record) =>
        file.Sha256 ?? record.Find(file.Path)?.Sha256;

    private static async Task<bool> IsPresentAsync(string path, long? size, string? sha, CancellationToken ct)
    {
        // Without any known hash a present file proves nothing, so it is fetched again (and its hash recorded).
        // The size of the file the path leads to: a dataset file linked in from elsewhere is present too.
        if (sha == null || LinkedFiles.Target(path) is not { } file) return false;
        if (size is long s && file.Length != s) return false;
        return string.Equals((await FileDownloader.HashFileAsync(path, ct)).Sha256, sha,
            StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<bool> AllPresentAsync(string root, IEnumerable<FetchRecord.Entry> files,
        CancellationToken ct)
    {
        foreach (var f in files)
            if (!await IsPresentAsync(Path.Combine(root, f.Path), f.Size, f.Sha256, ct))
                return false;
        return true;
    }

    private static void Remember(FetchRecord record, FetchRecord.Entry entry)
    {
        record.Files.RemoveAll(f => f.Path == entry.Path);
        record.Files.Add(entry);
    }
}
