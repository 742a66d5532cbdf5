namespace KnPipeline.Stages.Records;

/// <summary>
/// A query encoded for one model. Causal LMs: <see cref="InputIds"/> is the prompt and the prediction position is its
/// last index. MLMs: the object slot holds k mask tokens (k = object token count) and the prediction positions are the
/// mask indices, the first of which is the default target (docs/architecture.md, Definitions).
/// </summary>
/// <param name="QueryId">The query's id.</param>
/// <param name="FactId">The fact's id.</param>
/// <param name="Relation">Relation id.</param>
/// <param name="Language">Language code.</param>
/// <param name="TemplateId">The template's id (version 2; parts of version 1 read it as empty).</param>
/// <param name="Split">The query's split (<see cref="QueryRecord.Split"/>).</param>
/// <param name="ModelId">The model the ids belong to.</param>
/// <param name="InputIds">Token ids fed to the model, with the model's special tokens.</param>
/// <param name="TokenTypeIds">Segment ids for BERT-style models (all zero, one segment); empty for causal LMs.</param>
/// <param name="PredictionPositions">Causal: [last index]. MLM: the index of every mask token.</param>
/// <param name="TargetIds">
/// The gold object's token ids as a continuation (leading space where the language has one).
/// </param>
/// <param name="ObjectTokens">Number of object tokens (= <see cref="TargetIds"/> length).</param>
/// <param name="UnkTokens">Unknown-token ids among the input (masks excluded) and the target.</param>
public sealed record TokenizedQueryRecord(
    string QueryId,
    string FactId,
    string Relation,
    string Language,
    string TemplateId,
    string Split,
    string ModelId,
    int[] InputIds,
    int[] TokenTypeIds,
    int[] PredictionPositions,
    int[] TargetIds,
    int ObjectTokens,
    int UnkTokens) : IQueryKeyed
{
    /// <summary>Version of this record's Parquet schema, written as <c>kn.schema_version</c>.</summary>
    public const string SchemaVersion = "tokenized_query/3";

    /// <summary>
    /// The subject's token span [start, end) in <see cref="InputIds"/>: tokens holding any of its chars (a token
    /// that straddles its edge counts), −1 when unknown (parts older than tokenized_query/3, or no span found).
    /// </summary>
    public int SubjectTokenStart { get; init; } = -1;

    public int SubjectTokenEnd { get; init; } = -1;
}
