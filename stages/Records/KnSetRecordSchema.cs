using Parquet;
using Parquet.Schema;
using static KnPipeline.Stages.Records.ParquetColumns;

namespace KnPipeline.Stages.Records;

/// <summary>Parquet schema of <see cref="KnSetRecord"/>.</summary>
public sealed class KnSetRecordSchema : IRecordSchema<KnSetRecord>
{
    public static readonly KnSetRecordSchema Instance = new();

    private readonly DataField<string> _queryId = new("query_id", nullable: false);
    private readonly DataField<string> _factId = new("fact_id", nullable: false);
    private readonly DataField<string> _relation = new("relation", nullable: false);
    private readonly DataField<string> _language = new("language", nullable: false);
    private readonly DataField<string> _templateId = new("template_id", nullable: false);
    private readonly DataField<double> _threshold = new("threshold");
    private readonly DataField<double> _max = new("max_score");
    private readonly ListField _layer = List<int>("layer");
    private readonly ListField _unit = List<int>("unit");
    private readonly ListField _score = List<float>("score");

    private KnSetRecordSchema() => Schema = new ParquetSchema(_queryId, _factId, _relation, _language, _templateId,
        _threshold, _max, _layer, _unit, _score);

    public string SchemaVersion => KnSetRecord.SchemaVersion;

    public ParquetSchema Schema { get; }

    public RowGroupBuffer<KnSetRecord> CreateBuffer() => new(
        new StringColumn<KnSetRecord>(_queryId, r => r.QueryId),
        new StringColumn<KnSetRecord>(_factId, r => r.FactId),
        new StringColumn<KnSetRecord>(_relation, r => r.Relation),
        new StringColumn<KnSetRecord>(_language, r => r.Language),
        new StringColumn<KnSetRecord>(_templateId, r => r.TemplateId),
        new ValueColumn<KnSetRecord, double>(_threshold, r => r.Threshold),
        new ValueColumn<KnSetRecord, double>(_max, r => r.MaxScore),
        new ListColumn<KnSetRecord, int>(_layer, r => r.Layer),
        new ListColumn<KnSetRecord, int>(_unit, r => r.Unit),
        new ListColumn<KnSetRecord, float>(_score, r => r.Score));

    public async Task<KnSetRecord[]> ReadAsync(ParquetRowGroupReader rg, CancellationToken ct)
    {
        var q = await ReadStringsAsync(rg, _queryId, ct);
        var f = await ReadStringsAsync(rg, _factId, ct);
        var rel = await ReadStringsAsync(rg, _relation, ct);
        var lang = await ReadStringsAsync(rg, _language, ct);
        var tpl = await ReadStringsAsync(rg, _templateId, ct);
        var th = await ReadValuesAsync<double>(rg, _threshold, ct);
        var mx = await ReadValuesAsync<double>(rg, _max, ct);
        var layer = await ReadListsAsync<int>(rg, _layer, ct);
        var unit = await ReadListsAsync<int>(rg, _unit, ct);
        var score = await ReadListsAsync<float>(rg, _score, ct);
        var rows = new KnSetRecord[q.Length];
        for (int i = 0; i < rows.Length; i++)
            rows[i] = new KnSetRecord(q[i], f[i], rel[i], lang[i], tpl[i], th[i], mx[i], layer[i], unit[i], score[i]);
        return rows;
    }
}
