using KnPipeline.Cli;
using KnPipeline.Stages.Options;
using YamlDotNet.Core;

namespace KnPipeline.Config;

/// <summary>
/// Loads <c>pipeline.yaml</c> into a validated <see cref="PipelineConfig"/>. Every problem (broken YAML, unknown or
/// duplicate keys, wrong types, out-of-range values, cross-field rules) is collected and thrown together as a
/// <see cref="ConfigException"/> whose lines name the file, line, column and key path. Keys the file leaves out keep
/// their C# defaults; an empty file is the default config.
/// </summary>
public static class ConfigLoader
{
    /// <summary>The file commands read from the working directory when no file is named.</summary>
    public const string DefaultFileName = "pipeline.yaml";

    /// <summary>How errors and manifests name the copy of pipeline.yaml compiled into the executable.</summary>
    public const string EmbeddedSource = "<embedded>/pipeline.yaml";

    private const string ResourceName = "pipeline.yaml";

    /// <summary>
    /// Loads and validates a config file, then applies <paramref name="overrides"/> (see <see cref="ApplyOverrides"/>).
    /// </summary>
    public static PipelineConfig Load(string path, IEnumerable<string>? overrides = null)
    {
        string text;
        try
        {
            if (Directory.Exists(path))
                throw Single($"config path is a folder, not a file: {path}");
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Single($"config file not found: {path}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Single($"cannot read config file {path}: {e.Message}");
        }
        return Parse(text, path, overrides);
    }

    /// <summary>Loads the pipeline.yaml embedded in the executable: the shipped default run.</summary>
    public static PipelineConfig LoadDefault(IEnumerable<string>? overrides = null) =>
        Parse(ReadEmbeddedText(), EmbeddedSource, overrides);

    /// <summary>Parses YAML text; <paramref name="source"/> is the name errors give the text.</summary>
    public static PipelineConfig Parse(string yaml, string source, IEnumerable<string>? overrides = null) =>
        Build(yaml, source, new PipelineConfig(), overrides ?? []);

    /// <summary>
    /// Returns a copy of <paramref name="config"/> with <c>section.key=value</c> overrides applied (the value is YAML:
    /// <c>attribution.steps=50</c>, <c>data.languages=[en, fr]</c>), validated as a whole. Errors name the override.
    /// </summary>
    public static PipelineConfig ApplyOverrides(PipelineConfig config, IEnumerable<string> overrides) =>
        Build(null, "--set", config, overrides);

    /// <summary>The text of the embedded pipeline.yaml.</summary>
    public static string ReadEmbeddedText()
    {
        using var stream = typeof(ConfigLoader).Assembly.GetManifestResourceStream(ResourceName)
                           ?? throw new InvalidOperationException($"resource {ResourceName} is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// The config source a command reads: <paramref name="path"/> when given, else ./pipeline.yaml when it exists,
    /// else the embedded default (<see cref="EmbeddedSource"/>).
    /// </summary>
    public static string ResolveSource(string? path) =>
        path ?? (File.Exists(DefaultFileName) ? DefaultFileName : EmbeddedSource);

    /// <summary>
    /// What every command that reads the config calls: resolves the file as <see cref="ResolveSource"/> does, loads,
    /// applies overrides and validates; any error becomes a <see cref="UsageException"/> (exit code 2) whose message
    /// is the error lines.
    /// </summary>
    public static PipelineConfig LoadForCommand(string? path, IEnumerable<string>? overrides = null)
    {
        string source = ResolveSource(path);
        try
        {
            return source == EmbeddedSource && path == null ? LoadDefault(overrides) : Load(source, overrides);
        }
        catch (ConfigException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static PipelineConfig Build(
        string? yaml, string source, PipelineConfig start, IEnumerable<string> overrides)
    {
        var errors = new List<ConfigError>();
        var positions = new Dictionary<string, ConfigPosition>(StringComparer.Ordinal);
        var config = start.Clone();
        if (yaml != null)
        {
            var root = YamlComposer.Compose(yaml, source, errors);
            new ConfigBinder(typeof(PipelineConfig), source, true, errors, positions).BindDocument(root, config);
        }
        foreach (string o in overrides)
            ApplyOverride(config, o, errors, positions);
        foreach (var e in config.Validate())
            errors.Add((Find(positions, e.Key) ?? new ConfigPosition(source, 0, 0)).Error(e.Key, e.Message));
        if (errors.Count > 0)
            throw new ConfigException(InFileOrder(errors, source));
        return config;
    }

    private static void ApplyOverride(
        PipelineConfig config, string text, List<ConfigError> errors, Dictionary<string, ConfigPosition> positions)
    {
        string source = $"--set {text}";
        int eq = text.IndexOf('=');
        string key = eq > 0 ? text[..eq].Trim() : "";
        if (key.Length == 0)
        {
            errors.Add(new ConfigError(source, 0, 0, null, "expected section.key=value, e.g. attribution.steps=50"));
            return;
        }
        var valueErrors = new List<ConfigError>();
        var node = YamlComposer.Compose(text[(eq + 1)..], source, valueErrors);
        if (valueErrors.Count > 0)
        {
            errors.AddRange(valueErrors.Select(e => e with { Line = 0, Column = 0, Key = key }));
            return;
        }
        node ??= new ScalarNode(1, 1, "", ScalarStyle.Plain, false); // "key=" and "key=~" both mean null
        new ConfigBinder(typeof(PipelineConfig), source, false, errors, positions).BindPath(config, key, node);
    }

    // A cross-field error on a key the file left out points at the closest enclosing key that was given.
    private static ConfigPosition? Find(Dictionary<string, ConfigPosition> positions, string key)
    {
        while (true)
        {
            if (positions.TryGetValue(key, out var p))
                return p;
            int cut = key.EndsWith(']') ? key.LastIndexOf('[') : key.LastIndexOf('.');
            if (cut <= 0)
                return null;
            key = key[..cut];
        }
    }

    // File errors by position, then everything else (overrides, position-less) in the order found.
    private static List<ConfigError> InFileOrder(List<ConfigError> errors, string source) =>
        errors.OrderBy(e => e.Source == source && e.Line > 0 ? 0 : 1)
            .ThenBy(e => e.Source == source ? e.Line : 0)
            .ThenBy(e => e.Source == source ? e.Column : 0)
            .ToList();

    private static ConfigException Single(string message) => new([new ConfigError("", 0, 0, null, message)]);
}
