namespace KnPipeline.Stages.Downloads;

/// <summary>
/// Read-only view of environment variables (HF_HOME, HF_TOKEN, KN_DATA_MIRROR, ...). Code that reads settings takes
/// one of these instead of calling <see cref="Environment.GetEnvironmentVariable(string)"/>, so callers (and tests,
/// which xunit runs in parallel) can pass their own values without mutating the process environment.
/// </summary>
public sealed class EnvironmentVariables
{
    private readonly Func<string, string?> _lookup;

    private EnvironmentVariables(Func<string, string?> lookup) => _lookup = lookup;

    /// <summary>The variables of this process.</summary>
    public static EnvironmentVariables Process { get; } = new(Environment.GetEnvironmentVariable);

    /// <summary>Exactly the given variables and no others.</summary>
    public static EnvironmentVariables From(IReadOnlyDictionary<string, string?> values)
    {
        var copy = new Dictionary<string, string?>(values, StringComparer.Ordinal);
        return new EnvironmentVariables(name => copy.GetValueOrDefault(name));
    }

    /// <summary>The value, or null when the variable is unset or empty (an empty value means unset, as in Python's
    /// huggingface_hub, which treats <c>HF_TOKEN=""</c> as no token).</summary>
    public string? Get(string name)
    {
        string? value = _lookup(name);
        return string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>This view with <paramref name="name"/> overridden (null unsets it).</summary>
    public EnvironmentVariables With(string name, string? value) =>
        new(n => n == name ? value : _lookup(n));

    /// <summary>True for 1/ON/YES/TRUE in any case, the values huggingface_hub accepts for its boolean flags.</summary>
    public bool IsTrue(string name) =>
        Get(name)?.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    /// <summary>The user's home directory: HOME, then USERPROFILE, then the OS's answer.</summary>
    public string HomeDirectory =>
        Get("HOME") ?? Get("USERPROFILE") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    /// <summary>Expands a leading <c>~</c> the way Python's <c>os.path.expanduser</c> does for HF_HOME and friends.</summary>
    public string ExpandHome(string path) =>
        path == "~" ? HomeDirectory
        : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(HomeDirectory, path[2..])
        : path;
}
