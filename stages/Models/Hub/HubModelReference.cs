using System.Text.RegularExpressions;

namespace KnPipeline.Stages.Models.Hub;

/// <summary>
/// A Hugging Face Hub model: <c>gpt2</c>, <c>org/name</c> or <c>org/name@revision</c> (a branch, tag or commit sha;
/// <c>main</c> by default).
/// </summary>
public sealed partial record HubModelReference(string RepoId, string Revision)
{
    public const string DefaultRevision = "main";

    /// <summary>Parses the text; throws <see cref="FormatException"/> naming the problem.</summary>
    public static HubModelReference Parse(string text) =>
        TryParse(text, out var reference, out string? error) ? reference! : throw new FormatException(error);

    public static bool TryParse(string text, out HubModelReference? reference, out string? error)
    {
        reference = null;
        text = text.Trim();
        int at = text.IndexOf('@');
        string repo = at < 0 ? text : text[..at];
        string revision = at < 0 ? DefaultRevision : text[(at + 1)..];
        error = ValidateRepoId(repo) ?? ValidateRevision(revision);
        if (error != null)
        {
            error = $"'{text}' is not a Hub model id (org/name[@revision]): {error}";
            return false;
        }
        reference = new HubModelReference(repo, revision);
        return true;
    }

    /// <summary>The repository's folder in the Hub cache, as huggingface_hub names it: <c>models--org--name</c>.</summary>
    public string CacheFolderName => "models--" + RepoId.Replace("/", "--");

    /// <summary>True when the revision is a full commit sha (then no ref is needed to find the snapshot).</summary>
    public bool RevisionIsCommit => IsCommitHash(Revision);

    public static bool IsCommitHash(string s) => CommitPattern().IsMatch(s);

    public override string ToString() => Revision == DefaultRevision ? RepoId : $"{RepoId}@{Revision}";

    // The rules of huggingface_hub's validate_repo_id: one or two names of [A-Za-z0-9_.-] (at most 96 characters),
    // no '--' or '..', not starting or ending with '-' or '.'.
    private static string? ValidateRepoId(string repo)
    {
        string[] parts = repo.Split('/');
        if (repo.Length == 0) return "the repository id is empty";
        if (parts.Length > 2) return "a repository id has at most one '/'";
        foreach (string part in parts)
            if (!NamePattern().IsMatch(part) || part.Contains("--") || part.Contains(".."))
                return $"'{part}' must be 1-96 characters of letters, digits, '_', '-' or '.', " +
                       "not starting or ending with '-' or '.', without '--' or '..'";
        return null;
    }

    private static string? ValidateRevision(string revision) =>
        revision.Length == 0 ? "the revision after '@' is empty"
        : revision.Any(char.IsWhiteSpace) || revision.Contains("..") || revision.StartsWith('/') || revision.EndsWith('/')
            ? $"revision '{revision}' is not a valid branch, tag or commit"
            : null;

    [GeneratedRegex("^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();
}
