using KnPipeline.Stages.Downloads;
using KnPipeline.Tests.Downloads;

namespace KnPipeline.Tests.Models.Hub;

/// <summary>
/// A loopback server answering like the Hugging Face Hub: <c>/{repo}/resolve/{revision}/{file}</c> for HEAD and GET
/// with X-Repo-Commit and ETag; LFS files answer 302 to <c>/lfs-cdn/{sha256}</c> with X-Linked-Etag/X-Linked-Size;
/// absent files 404 with X-Error-Code: EntryNotFound; Range is honoured.
/// </summary>
public sealed class FakeHub : IAsyncDisposable
{
    public const string Commit = "4f1d3c2b0a9e8d7c6b5a49382716051f4e3d2c1b";

    private readonly Dictionary<string, byte[]> _files;
    private readonly HashSet<string> _lfs;
    private int _lfsGets;

    public FakeHub(string repoId, Dictionary<string, byte[]> files, params string[] lfs)
    {
        RepoId = repoId;
        _files = files;
        _lfs = [.. lfs];
        Server = new LoopbackHttpServer(Handle);
    }

    /// <summary>The standard tiny checkpoint: config.json, model.safetensors (LFS), vocab.json, merges.txt.</summary>
    public static FakeHub Tiny(string repoId = "kn-test/tiny-gpt2") => new(repoId, new Dictionary<string, byte[]>
    {
        ["config.json"] = TinyCheckpoint.Config,
        ["model.safetensors"] = TinyCheckpoint.Safetensors(),
        ["vocab.json"] = TinyCheckpoint.Vocab,
        ["merges.txt"] = TinyCheckpoint.Merges,
    }, "model.safetensors");

    public string RepoId { get; }
    public LoopbackHttpServer Server { get; }
    public IReadOnlyDictionary<string, byte[]> Files => _files;

    /// <summary>Redirect LFS files to http://localhost:port (another host for the client) instead of a relative path.</summary>
    public bool CdnOnOtherHost { get; init; }

    /// <summary>The first GET of an LFS blob sends only this many bytes, then drops the connection.</summary>
    public int? DropFirstLfsGetAfter { get; init; }

    /// <summary>Bytes served for LFS blobs instead of the real ones (a corrupt CDN).</summary>
    public Func<byte[], byte[]>? ServeLfsAs { get; init; }

    public IEnumerable<LoopbackRequest> Gets => Server.Requests.Where(r => r.Method == "GET");

    /// <summary>Settings pointing at this hub and a cache under <paramref name="root"/>.</summary>
    public EnvironmentVariables Environment(string root, params (string Name, string? Value)[] extra)
    {
        var values = new Dictionary<string, string?>
        {
            ["HF_ENDPOINT"] = Server.BaseUrl,
            ["HF_HOME"] = Path.Combine(root, "hf-home"),
            ["HF_HUB_CACHE"] = Path.Combine(root, "hub"),
        };
        foreach (var (name, value) in extra) values[name] = value;
        return EnvironmentVariables.From(values);
    }

    private LoopbackResponse Handle(LoopbackRequest r)
    {
        string path = Uri.UnescapeDataString(r.Path);
        if (path.StartsWith("/lfs-cdn/", StringComparison.Ordinal))
        {
            var file = _files.Values.FirstOrDefault(b => TinyCheckpoint.Sha256(b) == path["/lfs-cdn/".Length..]);
            if (file == null) return LoopbackResponse.NotFound();
            bool drop = r.Method == "GET" && Interlocked.Increment(ref _lfsGets) == 1 && DropFirstLfsGetAfter != null;
            return LoopbackResponse.Content(ServeLfsAs?.Invoke(file) ?? file, r,
                closeAfterBytes: drop ? DropFirstLfsGetAfter : null);
        }
        string prefix = $"/{RepoId}/resolve/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
            return WithError(LoopbackResponse.Text(401, "Repository not found"), "RepoNotFound");
        string rest = path[prefix.Length..];
        int slash = rest.IndexOf('/');
        string revision = rest[..slash], name = rest[(slash + 1)..];
        if (revision != "main" && revision != Commit)
            return WithError(LoopbackResponse.NotFound(), "RevisionNotFound");
        if (!_files.TryGetValue(name, out byte[]? bytes))
            return WithCommit(WithError(LoopbackResponse.NotFound(), "EntryNotFound"));
        if (_lfs.Contains(name))
        {
            string sha = TinyCheckpoint.Sha256(bytes);
            string location = CdnOnOtherHost ? $"http://localhost:{Server.Port}/lfs-cdn/{sha}" : $"/lfs-cdn/{sha}";
            var redirect = WithCommit(LoopbackResponse.Redirect(location));
            redirect.Headers["X-Linked-Etag"] = $"\"{sha}\"";
            redirect.Headers["X-Linked-Size"] = bytes.Length.ToString();
            redirect.Headers["ETag"] = $"\"{TinyCheckpoint.GitBlobSha1(bytes)}\"";  // the pointer file's; must lose
            return redirect;
        }
        var response = WithCommit(LoopbackResponse.Content(bytes, r));
        response.Headers["ETag"] = $"\"{TinyCheckpoint.GitBlobSha1(bytes)}\"";
        return response;
    }

    private static LoopbackResponse WithCommit(LoopbackResponse r)
    {
        r.Headers["X-Repo-Commit"] = Commit;
        return r;
    }

    private static LoopbackResponse WithError(LoopbackResponse r, string code)
    {
        r.Headers["X-Error-Code"] = code;
        return r;
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
