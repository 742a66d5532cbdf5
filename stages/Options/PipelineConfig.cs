namespace KnPipeline.Stages.Options;

/// <summary>
/// The whole of <c>pipeline.yaml</c>, one property per section. A new instance holds the defaults, which equal the
/// shipped <c>pipeline.yaml</c>. Stages take the section they need; the run manifest stores all of it (canonical JSON).
/// </summary>
public sealed class PipelineConfig
{
    public RunOptions Run { get; set; } = new();

    public DataOptions Data { get; set; } = new();

    public ModelOptions Model { get; set; } = new();

    public EmbeddedModelOptions EmbeddedModel { get; set; } = new();

    public AttributionOptions Attribution { get; set; } = new();

    public LocalizationOptions Localization { get; set; } = new();

    public ConsistencyOptions Consistency { get; set; } = new();

    public SynapseOptions Synapses { get; set; } = new();

    public EditingOptions Editing { get; set; } = new();

    public PipelineOptions Pipeline { get; set; } = new();

    public LoggingOptions Logging { get; set; } = new();

    /// <summary>Every rule violation of every section, in file order; empty when the config is valid.</summary>
    public IReadOnlyList<OptionError> Validate()
    {
        var errors = new List<OptionError>();
        // A section set to null in code is reported, not dereferenced; the YAML binder never produces one.
        void Add(object? section, string name, Func<IEnumerable<OptionError>> validate)
        {
            if (section == null)
                errors.Add(new OptionError(name, "must not be null"));
            else
                errors.AddRange(validate());
        }
        Add(Run, RunOptions.SectionName, () => Run.Validate());
        Add(Data, DataOptions.SectionName, () => Data.Validate());
        Add(Model, ModelOptions.SectionName, () => Model.Validate());
        Add(EmbeddedModel, EmbeddedModelOptions.SectionName, () => EmbeddedModel.Validate());
        Add(Attribution, AttributionOptions.SectionName, () => Attribution.Validate());
        Add(Localization, LocalizationOptions.SectionName, () => Localization.Validate());
        Add(Consistency, ConsistencyOptions.SectionName, () => Consistency.Validate());
        Add(Synapses, SynapseOptions.SectionName, () => Synapses.Validate());
        Add(Editing, EditingOptions.SectionName, () => Editing.Validate());
        Add(Pipeline, PipelineOptions.SectionName, () => Pipeline.Validate());
        Add(Logging, LoggingOptions.SectionName, () => Logging.Validate());
        return errors;
    }

    /// <summary>A deep copy.</summary>
    public PipelineConfig Clone() => OptionsSchema.Clone(this);
}
