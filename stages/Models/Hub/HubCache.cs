namespace KnPipeline.Stages.Models.Hub;

/// <summary>
/// The Hugging Face Hub cache, in huggingface_hub's exact layout so either tool reuses the other's downloads:
/// <code>
/// &lt;root&gt;/models--org--name/
///   blobs/&lt;etag&gt;                    file contents, named by ETag (the sha256 for LFS files)
///   snapshots/&lt;commit&gt;/&lt;file&gt;      relative symlinks to ../../blobs/&lt;etag&gt;
///   refs/&lt;revision&gt;               the commit sha of a branch or tag (no newline)
///   .no_exist/&lt;commit&gt;/&lt;file&gt;      empty markers for files the Hub answered 404
/// &lt;root&gt;/.locks/models--org--name/&lt;etag&gt;.lock
/// </code>
/// </summary>
public sealed class HubCache(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string RepoDir(HubModelReference model) => Path.Combine(Root, model.CacheFolderName);

    public string BlobPath(HubModelReference model, string etag) => Path.Combine(RepoDir(model), "blobs", etag);

    public string SnapshotDir(HubModelReference model, string commit) =>
        Path.Combine(RepoDir(model), "snapshots", commit);

    /// <summary>The snapshot entry of a repository file; <paramref name="file"/> uses '/' (e.g.
    /// "onnx/model.onnx").</summary>
    public string SnapshotPath(HubModelReference model, string commit, string file) =>
        Path.Combine(SnapshotDir(model, commit), Path.Combine(file.Split('/')));

    /// <summary>The commit the model's revision points to in the cache: the revision itself when it is a commit sha
    /// whose snapshot exists, else the content of refs/&lt;revision&gt;; null when unknown.</summary>
    public string? ResolveCommit(HubModelReference model)
    {
        if (model.RevisionIsCommit && Directory.Exists(SnapshotDir(model, model.Revision))) return model.Revision;
        string refPath = RefPath(model, model.Revision);
        if (!File.Exists(refPath)) return null;
        string commit = File.ReadAllText(refPath).Trim();
        return commit.Length > 0 ? commit : null;
    }

    /// <summary>Records that <paramref name="model"/>'s revision is at <paramref name="commit"/>; huggingface_hub
    /// writes no ref when the revision is the commit itself.</summary>
    public void WriteRef(HubModelReference model, string commit)
    {
        if (model.Revision == commit) return;
        string path = RefPath(model, model.Revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path) && File.ReadAllText(path).Trim() == commit) return;
        File.WriteAllText(path + ".tmp", commit);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>Points snapshots/&lt;commit&gt;/&lt;file&gt; at blobs/&lt;etag&gt; with a relative symlink, as
    /// huggingface_hub does; where symlinks are not allowed, the blob is copied instead (huggingface_hub's
    /// fallback).</summary>
    public void LinkSnapshotFile(HubModelReference model, string commit, string file, string etag)
    {
        string pointer = SnapshotPath(model, commit, file);
        string blob = BlobPath(model, etag);
        Directory.CreateDirectory(Path.GetDirectoryName(pointer)!);
        string target = Path.GetRelativePath(Path.GetDirectoryName(pointer)!, blob);
        var existing = new FileInfo(pointer);
        if (existing.LinkTarget == target) return;
        if (existing.Exists || existing.LinkTarget != null) existing.Delete();
        try
        {
            File.CreateSymbolicLink(pointer, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            File.Copy(blob, pointer, overwrite: true);
        }
    }

    /// <summary>Marks a file the Hub does not have at this commit (.no_exist), as huggingface_hub does.</summary>
    public void MarkMissing(HubModelReference model, string commit, string file)
    {
        string marker = Path.Combine(RepoDir(model), ".no_exist", commit, Path.Combine(file.Split('/')));
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        if (!File.Exists(marker)) File.WriteAllBytes(marker, []);
    }

    /// <summary>
    /// Takes the blob's lock file, waiting while another process holds it. It is the file huggingface_hub locks
    /// (.locks/models--org--name/&lt;etag&gt;.lock), and .NET's FileShare.None takes the same flock that Python's
    /// filelock takes on Unix, so the two never append to one .incomplete file at once.
    /// </summary>
    public async Task<IDisposable> LockBlobAsync(HubModelReference model, string etag, CancellationToken ct)
    {
        string path = Path.Combine(Root, ".locks", model.CacheFolderName, etag + ".lock");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
            }
        }
    }

    private string RefPath(HubModelReference model, string revision) =>
        Path.Combine(RepoDir(model), "refs", Path.Combine(revision.Split('/')));
}
