namespace KnPipeline.Stages.Models.Hub;

/// <summary>Where a checkpoint's files are on disk.</summary>
/// <param name="LocalDir">The folder holding config.json, the weights and the tokenizer files (a local folder as given,
/// or a Hub cache snapshot).</param>
/// <param name="Commit">The Hub commit sha; null for a local folder.</param>
/// <param name="RepoId">The Hub repository id; null for a local folder.</param>
public sealed record ModelLocation(string LocalDir, string? Commit, string? RepoId);
