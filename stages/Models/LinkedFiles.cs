using System.Security.Cryptography;
using System.Text;

namespace KnPipeline.Stages.Models;

/// <summary>
/// The file a path finally points to, for paths that may be symbolic links. Every file of a Hugging Face cache
/// snapshot is one (<c>snapshots/&lt;commit&gt;/model.safetensors → ../../blobs/&lt;sha256&gt;</c>), and on Unix
/// <see cref="FileInfo"/> describes the link itself: its Length is that of the link text (76 bytes for a blob link),
/// and <see cref="File.Exists"/> is true for a link whose blob was deleted. Opening a path (File.OpenRead, a memory
/// map) follows links already; measuring or testing it must go through here.
/// </summary>
public static class LinkedFiles
{
    /// <summary>The file at the end of <paramref name="path"/>'s chain of links (the path itself when it is no link);
    /// null when there is none: no entry, a dangling link, a link to a folder, or a loop of links.</summary>
    public static FileInfo? Target(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget == null)
            return info.Exists ? info : null;
        try
        {
            // Relative links resolve against their own folder, link by link, as the kernel does.
            return info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true } target ? target : null;
        }
        catch (IOException)
        {
            return null;  // ELOOP: more links than the kernel follows (40 on Linux)
        }
    }

    /// <summary>True when <paramref name="path"/> is a file or leads to one through links.</summary>
    public static bool Exists(string path) => Target(path) != null;

    /// <summary>True when <paramref name="path"/> is a link that leads nowhere (File.Exists cannot tell).</summary>
    public static bool IsDangling(string path) => new FileInfo(path).LinkTarget != null && Target(path) == null;

    /// <summary>The length of the file <paramref name="path"/> points to.</summary>
    /// <exception cref="FileNotFoundException">Nothing there; for a dangling link, the message says where it
    /// points.</exception>
    public static long Length(string path) => Require(path).Length;

    /// <summary>The full path of the file <paramref name="path"/> points to (itself when it is no link).</summary>
    /// <exception cref="FileNotFoundException">Nothing there; for a dangling link, the message says where it
    /// points.</exception>
    public static string ResolvedPath(string path) => Require(path).FullName;

    /// <summary>
    /// A not-found error that names a dangling link's target: <c>ls</c> still lists the link, so .NET's "Could not
    /// find file" alone would send the user looking at the wrong file.
    /// </summary>
    public static FileNotFoundException NotFound(string path)
    {
        string? link = new FileInfo(path).LinkTarget;
        return link == null
            ? new FileNotFoundException($"{path}: no such file", path)
            : new FileNotFoundException($"{path}: a symbolic link to {link}, which does not exist or is no file " +
                                        "(in a Hugging Face cache: the blob was deleted; fetch the model again)", path);
    }

    /// <summary>
    /// SHA-256 (lower-case hex) over files' names and contents, the hash run manifests record for a model's
    /// weights: for each path in ordinal order, the UTF-8 bytes of its file name, then the bytes of the file it
    /// points to. The name is the path's own (config.json), never its blob's, so a model hashes the same from a plain
    /// folder and from a cache snapshot. Paths with no entry are skipped, as File.Exists skipped them before.
    /// </summary>
    /// <exception cref="FileNotFoundException">A path is a dangling link (skipping it would change the hash
    /// silently).</exception>
    public static string Sha256(IEnumerable<string> files)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        foreach (string f in files.Where(File.Exists).Order(StringComparer.Ordinal))
        {
            h.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(f)));
            using var s = File.OpenRead(ResolvedPath(f));
            int n;
            while ((n = s.Read(buffer)) > 0)
                h.AppendData(buffer, 0, n);
        }
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    private static FileInfo Require(string path) => Target(path) ?? throw NotFound(path);
}
