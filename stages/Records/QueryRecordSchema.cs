using Parquet;
using Parquet.Schema;
using static KnPipeline.Stages.Records.ParquetColumns;

namespace KnPipeline.Stages.Records;

/// <summary>
/// Parquet schema of <see cref="QueryRecord"/>: query_id, fact_id, relation, language, template_id, split, text,
/// prompt (nullable), object, object_start, subject_first.
/// </summary>
public sealed class QueryRecordSchema : IRecordSchema<QueryRecord>
{
    public static readonly QueryRecordSchema Instance = new();

    private readonly DataField<string> _queryId = new("query_id", nullable: false);
    private readonly DataField<string> _factId = new("fact_id", nullable: false);
    private readonly DataField<string> _relation = new("relation", nullable: false);
    private readonly DataField<string> _language = new("language", nullable: false);
    private readonly DataField<string> _templateId = new("template_id", nullable: false);
    private readonly DataField<string> _split = new("split", nullable: false);
    private readonly DataField<string> _text = new("text", nullable: false);
    private readonly DataField<string> _prompt = new("prompt", nullable: true);
    private readonly DataField<string> _object = new("object", nullable: false);
    private readonly DataField<int> _objectStart = new("object_start");
    private readonly DataField<bool> _subjectFirst = new("subject_first");

    private QueryRecordSchema() => Schema = new ParquetSchema(_queryId, _factId, _relation, _language, _templateId,
        _split, _text, _prompt, _object, _objectStart, _subjectFirst);

    public string SchemaVersion => QueryRecord.SchemaVersion;

    public ParquetSchema Schema { get; }

    public RowGroupBuffer<QueryRecord> CreateBuffer() => new(
        new StringColumn<QueryRecord>(_queryId, r => r.QueryId),
        new StringColumn<QueryRecord>(_factId, r => r.FactId),
        new StringColumn<QueryRecord>(_relation, r => r.Relation),
        new StringColumn<QueryRecord>(_language, r => r.Language),
        new StringColumn<QueryRecord>(_templateId, r => r.TemplateId),
        new StringColumn<QueryRecord>(_split, r => r.Split),
        new StringColumn<QueryRecord>(_text, r => r.Text),
        new StringColumn<QueryRecord>(_prompt, r => r.Prompt),
        new StringColumn<QueryRecord>(_object, r => r.Object),
        new ValueColumn<QueryRecord, int>(_objectStart, r => r.ObjectStart),
        new ValueColumn<QueryRecord, bool>(_subjectFirst, r => r.SubjectFirst));

    public async Task<QueryRecord[]> ReadAsync(ParquetRowGroupReader rg, CancellationToken ct)
    {
        var queryIds = await ReadStringsAsync(rg, _queryId, ct);
        var factIds = await ReadStringsAsync(rg, _factId, ct);
        var relations = await ReadStringsAsync(rg, _relation, ct);
        var languages = await ReadStringsAsync(rg, _language, ct);
        var templateIds = await ReadStringsAsync(rg, _templateId, ct);
        var splits = await ReadStringsAsync(rg, _split, ct);
        var texts = await ReadStringsAsync(rg, _text, ct);
        var prompts = await ReadNullableStringsAsync(rg, _prompt, ct);
        var objects = await ReadStringsAsync(rg, _object, ct);
        var starts = await ReadValuesAsync<int>(rg, _objectStart, ct);
        var subjectFirst = await ReadValuesAsync<bool>(rg, _subjectFirst, ct);
        var rows = new QueryRecord[queryIds.Length];
        for (int i = 0; i < rows.Length; i++)
            rows[i] = new QueryRecord(queryIds[i], factIds[i], relations[i], languages[i], templateIds[i], splits[i],
                texts[i], prompts[i], objects[i], starts[i], subjectFirst[i]);
        return rows;
    }
}
