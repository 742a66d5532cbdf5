namespace KnPipeline.Stages.Records;

/// <summary>
/// The key-value metadata written into every part file's footer, so a file found on its own still says what it
/// holds and under which run configuration it was made.
/// </summary>
/// <param name="ManifestHash">Hash of the run manifest (config, model, tokenizer); empty outside a run.</param>
/// <param name="NeuronDefinition">The neuron definition (docs/architecture.md, Definitions) for the model; empty for
/// data-only parts.</param>
/// <param name="Extra">More keys (e.g. <c>kn.model_id</c>); they must not reuse the three reserved keys.</param>
public sealed record PartMetadata(
    string ManifestHash,
    string NeuronDefinition = "",
    IReadOnlyDictionary<string, string>? Extra = null)
{
    public const string SchemaVersionKey = "kn.schema_version";
    public const string ManifestHashKey = "kn.manifest_hash";
    public const string NeuronDefinitionKey = "kn.neuron_definition";

    /// <summary>The footer dictionary for a file of the given schema version.</summary>
    public Dictionary<string, string> ToDictionary(string schemaVersion)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SchemaVersionKey] = schemaVersion,
            [ManifestHashKey] = ManifestHash,
            [NeuronDefinitionKey] = NeuronDefinition,
        };
        foreach (var (key, value) in Extra ?? new Dictionary<string, string>())
            if (!d.TryAdd(key, value))
                throw new ArgumentException($"metadata key '{key}' is reserved and set by the part writer",
                    nameof(Extra));
        return d;
    }
}
