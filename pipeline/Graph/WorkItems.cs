using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Editing;
using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Records;
using KnPipeline.Stages.Tokenization;

namespace KnPipeline.Graph;

/// <summary>A fixed chunk of facts (all their languages): the unit of resume. Batches never cross a chunk.</summary>
public sealed record FactChunk(int Index, string Key, IReadOnlyList<string> FactIds, IReadOnlyList<FactRecord> Facts);

/// <summary>A chunk after query expansion, with the queries it left out on purpose, by reason.</summary>
public sealed record ExpandedChunk(FactChunk Chunk, IReadOnlyList<QueryRecord> Queries,
    IReadOnlyList<QuarantineRecord> Quarantined, SortedDictionary<string, long> Skipped);

/// <summary>A chunk after tokenization, with its tokenization counts per language.</summary>
public sealed record TokenizedChunk(ExpandedChunk Expanded, IReadOnlyList<TokenizedQueryRecord> Tokenized,
    IReadOnlyList<QuarantineRecord> Quarantined, IReadOnlyList<LanguageTokenStats> TokenStats);

/// <summary>One device batch of a chunk; the last one of its chunk carries <see cref="IsLast"/>.</summary>
public sealed record DeviceBatch(TokenizedChunk Chunk, int Index, IReadOnlyList<TokenizedQueryRecord> Queries,
    bool IsLast);

/// <summary>What the device computed for a batch: the attributions of the localized queries under every method, and
/// how many queries were not localized.</summary>
public sealed record BatchResult(DeviceBatch Batch, IReadOnlyList<MethodAttribution> Attributed, int NotLocalized,
    double ComputeSeconds)
{
    /// <summary>Every query's prediction, localized or not.</summary>
    public IReadOnlyList<PredictionRecord> Predictions { get; init; } = [];
}

/// <summary>
/// A chunk once its last batch is through the device: every query's attributions under every method and every
/// prediction, so the per-fact analyses see whole facts in every language.
/// </summary>
public sealed record AssembledChunk(TokenizedChunk Chunk, IReadOnlyList<MethodAttribution> Attributed,
    IReadOnlyList<PredictionRecord> Predictions, int NotLocalized);

/// <summary>A chunk after the per-fact analyses: its records so far, and the set scalings and edits the device is to
/// run.</summary>
public sealed record AnalyzedChunk(ChunkResult Result, IReadOnlyList<LoloTrial> Trials,
    IReadOnlyList<QueryLocalizationStage.Planned> Planned, IReadOnlyList<SynapseQuery> Synapses)
{
    /// <summary>The chunk's edited facts with their analyses.</summary>
    public IReadOnlyList<EditInput> Edits { get; init; } = [];
}

/// <summary>
/// A finished chunk: the records every stage emitted for it, and the counters its marker keeps. The writer only
/// writes <see cref="Tables"/>; it knows no table by name.
/// </summary>
public sealed record ChunkResult(TokenizedChunk Chunk, IReadOnlyList<AttributionRecord> Attributions,
    IReadOnlyList<KnSetRecord> KnSets, int NotLocalized)
{
    public ExpandedChunk Expanded => Chunk.Expanded;

    public IReadOnlyList<PredictionRecord> Predictions { get; init; } = [];

    public IReadOnlyList<FactKnRecord> FactKns { get; init; } = [];

    public IReadOnlyList<MatriceRecord> Matrice { get; init; } = [];

    public IReadOnlyList<LoloRecord> Lolo { get; init; } = [];

    public IReadOnlyList<ConsistencyRecord> Consistency { get; init; } = [];

    public IReadOnlyList<QueryInterventionRecord> QlInterventions { get; init; } = [];

    public IReadOnlyList<SynapseRecord> Synapses { get; init; } = [];

    public IReadOnlyList<SynapseHeatmapRecord> SynapseHeatmaps { get; init; } = [];

    public IReadOnlyList<EditRecord> Edits { get; init; } = [];

    /// <summary>Work the analyses left out on purpose, by reason, added to the marker's skip counts (the summary's
    /// <c>skipped_&lt;reason&gt;</c>).</summary>
    public SortedDictionary<string, long> AnalysisSkipped { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The run's methods, in the config's order: the first one's records are what the marker counts as the
    /// chunk's attributed queries and completeness gaps (the summary's unsuffixed keys).</summary>
    public IReadOnlyList<string> Methods { get; init; } = [];

    public IReadOnlyList<QuarantineRecord> Quarantined { get; } = [.. Chunk.Expanded.Quarantined, .. Chunk.Quarantined];

    /// <summary>The chunk's records by table, in registry order.</summary>
    public IEnumerable<TableRows> Tables =>
    [
        TableRegistry.Queries.Rows(Expanded.Queries),
        TableRegistry.Tokenized.Rows(Chunk.Tokenized),
        TableRegistry.Attributions.Rows(Attributions),
        TableRegistry.KnSets.Rows(KnSets),
        TableRegistry.Quarantine.Rows(Quarantined),
        TableRegistry.Predictions.Rows(Predictions),
        TableRegistry.FactKns.Rows(FactKns),
        TableRegistry.Matrice.Rows(Matrice),
        TableRegistry.Lolo.Rows(Lolo),
        TableRegistry.Consistency.Rows(Consistency),
        TableRegistry.QlInterventions.Rows(QlInterventions),
        TableRegistry.Synapses.Rows(Synapses),
        TableRegistry.SynapseHeatmaps.Rows(SynapseHeatmaps),
        TableRegistry.Edits.Rows(Edits),
    ];
}
