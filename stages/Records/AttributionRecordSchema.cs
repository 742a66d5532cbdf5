using Parquet;
using Parquet.Schema;
using static KnPipeline.Stages.Records.ParquetColumns;

namespace KnPipeline.Stages.Records;

/// <summary>Parquet schema of <see cref="AttributionRecord"/>.</summary>
public sealed class AttributionRecordSchema : IRecordSchema<AttributionRecord>
{
    public static readonly AttributionRecordSchema Instance = new();

    private readonly DataField<string> _queryId = new("query_id", nullable: false);
    private readonly DataField<string> _factId = new("fact_id", nullable: false);
    private readonly DataField<string> _relation = new("relation", nullable: false);
    private readonly DataField<string> _language = new("language", nullable: false);
    private readonly DataField<string> _templateId = new("template_id", nullable: false);
    private readonly DataField<string> _split = new("split", nullable: false);
    private readonly DataField<double> _fa = new("f_a");
    private readonly DataField<double> _targetProb = new("target_prob");
    private readonly DataField<int> _targetRank = new("target_rank");
    private readonly DataField<bool> _nonFinite = new("non_finite");
    private readonly ListField _layers = List<int>("layers");
    private readonly ListField _fBaseline = List<double>("layer_f_baseline");
    private readonly ListField _sum = List<double>("layer_sum");
    private readonly ListField _gap = List<double>("layer_gap");
    private readonly ListField _topLayer = List<int>("top_layer");
    private readonly ListField _topUnit = List<int>("top_unit");
    private readonly ListField _topScore = List<float>("top_score");
    private readonly DataField<int> _ffnWidth = new("ffn_width");
    private readonly ListField _attributions = List<float>("attributions");

    private AttributionRecordSchema() => Schema = new ParquetSchema(_queryId, _factId, _relation, _language, _templateId,
        _split, _fa, _targetProb, _targetRank, _nonFinite, _layers, _fBaseline, _sum, _gap, _topLayer, _topUnit, _topScore,
        _ffnWidth, _attributions);

    public string SchemaVersion => AttributionRecord.SchemaVersion;

    public ParquetSchema Schema { get; }

    public RowGroupBuffer<AttributionRecord> CreateBuffer() => new(
        new StringColumn<AttributionRecord>(_queryId, r => r.QueryId),
        new StringColumn<AttributionRecord>(_factId, r => r.FactId),
        new StringColumn<AttributionRecord>(_relation, r => r.Relation),
        new StringColumn<AttributionRecord>(_language, r => r.Language),
        new StringColumn<AttributionRecord>(_templateId, r => r.TemplateId),
        new StringColumn<AttributionRecord>(_split, r => r.Split),
        new ValueColumn<AttributionRecord, double>(_fa, r => r.FA),
        new ValueColumn<AttributionRecord, double>(_targetProb, r => r.TargetProb),
        new ValueColumn<AttributionRecord, int>(_targetRank, r => r.TargetRank),
        new ValueColumn<AttributionRecord, bool>(_nonFinite, r => r.NonFinite),
        new ListColumn<AttributionRecord, int>(_layers, r => r.Layers),
        new ListColumn<AttributionRecord, double>(_fBaseline, r => r.LayerFBaseline),
        new ListColumn<AttributionRecord, double>(_sum, r => r.LayerSum),
        new ListColumn<AttributionRecord, double>(_gap, r => r.LayerGap),
        new ListColumn<AttributionRecord, int>(_topLayer, r => r.TopLayer),
        new ListColumn<AttributionRecord, int>(_topUnit, r => r.TopUnit),
        new ListColumn<AttributionRecord, float>(_topScore, r => r.TopScore),
        new ValueColumn<AttributionRecord, int>(_ffnWidth, r => r.FfnWidth),
        new ListColumn<AttributionRecord, float>(_attributions, r => r.Attributions));

    public async Task<AttributionRecord[]> ReadAsync(ParquetRowGroupReader rg, CancellationToken ct)
    {
        var q = await ReadStringsAsync(rg, _queryId, ct);
        var f = await ReadStringsAsync(rg, _factId, ct);
        var rel = await ReadStringsAsync(rg, _relation, ct);
        var lang = await ReadStringsAsync(rg, _language, ct);
        var tpl = await ReadStringsAsync(rg, _templateId, ct);
        var split = await ReadStringsAsync(rg, _split, ct);
        var fa = await ReadValuesAsync<double>(rg, _fa, ct);
        var prob = await ReadValuesAsync<double>(rg, _targetProb, ct);
        var rank = await ReadValuesAsync<int>(rg, _targetRank, ct);
        var nonFinite = await ReadValuesAsync<bool>(rg, _nonFinite, ct);
        var layers = await ReadListsAsync<int>(rg, _layers, ct);
        var fb = await ReadListsAsync<double>(rg, _fBaseline, ct);
        var sum = await ReadListsAsync<double>(rg, _sum, ct);
        var gap = await ReadListsAsync<double>(rg, _gap, ct);
        var tl = await ReadListsAsync<int>(rg, _topLayer, ct);
        var tu = await ReadListsAsync<int>(rg, _topUnit, ct);
        var ts = await ReadListsAsync<float>(rg, _topScore, ct);
        var width = await ReadValuesAsync<int>(rg, _ffnWidth, ct);
        var attr = await ReadListsAsync<float>(rg, _attributions, ct);
        var rows = new AttributionRecord[q.Length];
        for (int i = 0; i < rows.Length; i++)
            rows[i] = new AttributionRecord(q[i], f[i], rel[i], lang[i], tpl[i], split[i], fa[i], prob[i], rank[i], nonFinite[i],
                layers[i], fb[i], sum[i], gap[i], tl[i], tu[i], ts[i], width[i], attr[i]);
        return rows;
    }
}
