using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Records;

namespace KnPipeline.Graph;

/// <summary>A fixed chunk of facts (all their languages): the unit of resume. Batches never cross a chunk.</summary>
public sealed record FactChunk(int Index, string Key, IReadOnlyList<string> FactIds, IReadOnlyList<FactRecord> Facts);

/// <summary>A chunk after query expansion.</summary>
public sealed record ExpandedChunk(FactChunk Chunk, IReadOnlyList<QueryRecord> Queries, IReadOnlyList<QuarantineRecord> Quarantined);

/// <summary>A chunk after tokenization.</summary>
public sealed record TokenizedChunk(ExpandedChunk Expanded, IReadOnlyList<TokenizedQueryRecord> Tokenized,
    IReadOnlyList<QuarantineRecord> Quarantined);

/// <summary>One device batch of a chunk; the last one of its chunk carries <see cref="IsLast"/>.</summary>
public sealed record DeviceBatch(TokenizedChunk Chunk, int Index, IReadOnlyList<TokenizedQueryRecord> Queries, bool IsLast);

/// <summary>What the device computed for a batch: the attributions of the localized queries, and the ranks of all.</summary>
public sealed record BatchResult(DeviceBatch Batch, IReadOnlyList<(TokenizedQueryRecord Query, QueryAttribution Result)> Attributed,
    int NotLocalized, double ComputeSeconds);
