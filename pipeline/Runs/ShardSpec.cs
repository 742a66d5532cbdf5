namespace KnPipeline.Runs;

/// <summary>
/// Which share of the facts this process handles: shard <see cref="Index"/> of <see cref="Count"/>, from
/// <c>--shard i/N</c>, or a Slurm job array (SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT), or a Kubernetes Indexed
/// Job (JOB_COMPLETION_INDEX with the shard count from KN_SHARD_COUNT or --shard). A fact belongs to shard
/// FNV-1a-64(fact_id) mod N, so the split never depends on the order facts are read in.
/// </summary>
public sealed record ShardSpec(int Index, int Count)
{
    public static readonly ShardSpec Single = new(0, 1);

    public bool IsSharded => Count > 1;

    /// <summary>The suffix of this shard's files: <c>s0of1</c>.</summary>
    public string Tag => $"s{Index}of{Count}";

    public bool Owns(string factId) =>
        Count == 1 || (int)(KnPipeline.Stages.Records.StableHash.Fnv1a64(factId) % (ulong)Count) == Index;

    public static ShardSpec Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int i) || !int.TryParse(parts[1], out int n) || n < 1 ||
            i < 0 || i >= n)
            throw new UsageException($"--shard must be i/N with 0 ≤ i < N; got '{text}'");
        return new ShardSpec(i, n);
    }

    /// <summary>--shard wins; then Slurm array variables; then JOB_COMPLETION_INDEX; else a single shard.</summary>
    public static ShardSpec Resolve(string? option, Func<string, string?> env)
    {
        if (option is not null)
            return Parse(option);
        if (env("SLURM_ARRAY_TASK_ID") is { } sid && env("SLURM_ARRAY_TASK_COUNT") is { } scount)
        {
            // Slurm arrays may start at SLURM_ARRAY_TASK_MIN (often 0 or 1); shards count from 0.
            int min = int.TryParse(env("SLURM_ARRAY_TASK_MIN"), out int m) ? m : 0;
            return Parse($"{int.Parse(sid) - min}/{scount}");
        }
        if (env("JOB_COMPLETION_INDEX") is { } jid)
        {
            string count = env("KN_SHARD_COUNT") ?? throw new UsageException(
                "JOB_COMPLETION_INDEX is set but the shard count is not: set KN_SHARD_COUNT to the Job's completions");
            return Parse($"{jid}/{count}");
        }
        return Single;
    }
}
