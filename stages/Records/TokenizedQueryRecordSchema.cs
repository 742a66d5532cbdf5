using Parquet;
using Parquet.Schema;
using static KnPipeline.Stages.Records.ParquetColumns;

namespace KnPipeline.Stages.Records;

/// <summary>
/// Parquet schema of <see cref="TokenizedQueryRecord"/>: query_id, fact_id, relation, language, split, model_id,
/// input_ids, token_type_ids, prediction_positions, target_ids (each list&lt;int&gt;), object_tokens, unk_tokens.
/// </summary>
public sealed class TokenizedQueryRecordSchema : IRecordSchema<TokenizedQueryRecord>
{
    public static readonly TokenizedQueryRecordSchema Instance = new();

    private readonly DataField<string> _queryId = new("query_id", nullable: false);
    private readonly DataField<string> _factId = new("fact_id", nullable: false);
    private readonly DataField<string> _relation = new("relation", nullable: false);
    private readonly DataField<string> _language = new("language", nullable: false);
    private readonly DataField<string> _split = new("split", nullable: false);
    private readonly DataField<string> _modelId = new("model_id", nullable: false);
    private readonly ListField _inputIds = List<int>("input_ids");
    private readonly ListField _tokenTypeIds = List<int>("token_type_ids");
    private readonly ListField _predictionPositions = List<int>("prediction_positions");
    private readonly ListField _targetIds = List<int>("target_ids");
    private readonly DataField<int> _objectTokens = new("object_tokens");
    private readonly DataField<int> _unkTokens = new("unk_tokens");

    private TokenizedQueryRecordSchema() => Schema = new ParquetSchema(_queryId, _factId, _relation, _language, _split,
        _modelId, _inputIds, _tokenTypeIds, _predictionPositions, _targetIds, _objectTokens, _unkTokens);

    public string SchemaVersion => TokenizedQueryRecord.SchemaVersion;

    public ParquetSchema Schema { get; }

    public RowGroupBuffer<TokenizedQueryRecord> CreateBuffer() => new(
        new StringColumn<TokenizedQueryRecord>(_queryId, r => r.QueryId),
        new StringColumn<TokenizedQueryRecord>(_factId, r => r.FactId),
        new StringColumn<TokenizedQueryRecord>(_relation, r => r.Relation),
        new StringColumn<TokenizedQueryRecord>(_language, r => r.Language),
        new StringColumn<TokenizedQueryRecord>(_split, r => r.Split),
        new StringColumn<TokenizedQueryRecord>(_modelId, r => r.ModelId),
        new ListColumn<TokenizedQueryRecord, int>(_inputIds, r => r.InputIds),
        new ListColumn<TokenizedQueryRecord, int>(_tokenTypeIds, r => r.TokenTypeIds),
        new ListColumn<TokenizedQueryRecord, int>(_predictionPositions, r => r.PredictionPositions),
        new ListColumn<TokenizedQueryRecord, int>(_targetIds, r => r.TargetIds),
        new ValueColumn<TokenizedQueryRecord, int>(_objectTokens, r => r.ObjectTokens),
        new ValueColumn<TokenizedQueryRecord, int>(_unkTokens, r => r.UnkTokens));

    public async Task<TokenizedQueryRecord[]> ReadAsync(ParquetRowGroupReader rg, CancellationToken ct)
    {
        var queryIds = await ReadStringsAsync(rg, _queryId, ct);
        var factIds = await ReadStringsAsync(rg, _factId, ct);
        var relations = await ReadStringsAsync(rg, _relation, ct);
        var languages = await ReadStringsAsync(rg, _language, ct);
        var splits = await ReadStringsAsync(rg, _split, ct);
        var modelIds = await ReadStringsAsync(rg, _modelId, ct);
        var inputIds = await ReadIntListsAsync(rg, _inputIds, ct);
        var tokenTypeIds = await ReadIntListsAsync(rg, _tokenTypeIds, ct);
        var positions = await ReadIntListsAsync(rg, _predictionPositions, ct);
        var targets = await ReadIntListsAsync(rg, _targetIds, ct);
        var objectTokens = await ReadValuesAsync<int>(rg, _objectTokens, ct);
        var unkTokens = await ReadValuesAsync<int>(rg, _unkTokens, ct);
        var rows = new TokenizedQueryRecord[queryIds.Length];
        for (int i = 0; i < rows.Length; i++)
            rows[i] = new TokenizedQueryRecord(queryIds[i], factIds[i], relations[i], languages[i], splits[i],
                modelIds[i], inputIds[i], tokenTypeIds[i], positions[i], targets[i], objectTokens[i], unkTokens[i]);
        return rows;
    }
}
