namespace KnPipeline.Config;

/// <summary>
/// Keys a config may no longer set, each with what replaced it. A retired key is refused (exit code 2), never
/// ignored: a run that silently dropped <c>baseline: dataset-mean</c> would compute the default methods and look
/// like the run that was asked for. The message names the new key and, where there is one, the equivalent value.
/// </summary>
internal static class RetiredKeys
{
    /// <summary>The error for a retired key path given <paramref name="value"/>, or null when the key is not
    /// retired.</summary>
    public static string? Message(string keyPath, ConfigNode value) => keyPath switch
    {
        "attribution.baseline" => "was replaced by attribution.methods, a list of methods computed in one run; " +
                                  (Equivalent(value) is { } m
                                      ? $"write 'methods: [{m}]' for the same attributions"
                                      : "write e.g. 'methods: [dai]' (the zero baseline), [amig] or [dataset-mean]"),
        _ => null,
    };

    // The old baseline names the method that integrates from it: zero is Dai et al.'s.
    private static string? Equivalent(ConfigNode value) =>
        value is ScalarNode { IsNull: false } s
            ? s.Value.ToLowerInvariant() switch
            {
                "zero" => "dai",
                "amig" => "amig",
                "dataset-mean" => "dataset-mean",
                _ => null,
            }
            : null;
}
