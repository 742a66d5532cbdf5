using KnPipeline.Stages.Options;

namespace KnPipeline.Config;

/// <summary>
/// The config hash of a run: SHA-256 of the canonical JSON of the bound config (<see cref="OptionsJson"/>), so it
/// changes with any value and never with comments, whitespace or key order. The manifest stores both.
/// </summary>
public static class ConfigHasher
{
    /// <summary>Characters of the hash shown to people (<c>validate-config</c>, default run ids).</summary>
    public const int ShortLength = 12;

    /// <summary>Lower-case hex SHA-256 (64 characters).</summary>
    public static string Hash(PipelineConfig config) => OptionsJson.Sha256(config);

    /// <summary>The first <see cref="ShortLength"/> hex characters of <see cref="Hash"/>.</summary>
    public static string ShortHash(PipelineConfig config) => Hash(config)[..ShortLength];

    /// <summary>Sorted-key JSON of every section and key, as written into the run manifest.</summary>
    public static string ToCanonicalJson(PipelineConfig config, bool indented = false) =>
        OptionsJson.Canonical(config, indented);
}
