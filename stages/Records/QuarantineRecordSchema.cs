using Parquet;
using Parquet.Schema;
using static KnPipeline.Stages.Records.ParquetColumns;

namespace KnPipeline.Stages.Records;

/// <summary>Parquet schema of <see cref="QuarantineRecord"/>: source, line, record_id, stage, reason, detail.</summary>
public sealed class QuarantineRecordSchema : IRecordSchema<QuarantineRecord>
{
    public static readonly QuarantineRecordSchema Instance = new();

    private readonly DataField<string> _source = new("source", nullable: false);
    private readonly DataField<int> _line = new("line");
    private readonly DataField<string> _recordId = new("record_id", nullable: false);
    private readonly DataField<string> _stage = new("stage", nullable: false);
    private readonly DataField<string> _reason = new("reason", nullable: false);
    private readonly DataField<string> _detail = new("detail", nullable: false);

    private QuarantineRecordSchema() => Schema = new ParquetSchema(_source, _line, _recordId, _stage, _reason, _detail);

    public string SchemaVersion => QuarantineRecord.SchemaVersion;

    public ParquetSchema Schema { get; }

    public RowGroupBuffer<QuarantineRecord> CreateBuffer() => new(
        new StringColumn<QuarantineRecord>(_source, r => r.Source),
        new ValueColumn<QuarantineRecord, int>(_line, r => r.Line),
        new StringColumn<QuarantineRecord>(_recordId, r => r.RecordId),
        new StringColumn<QuarantineRecord>(_stage, r => r.Stage),
        new StringColumn<QuarantineRecord>(_reason, r => r.Reason),
        new StringColumn<QuarantineRecord>(_detail, r => r.Detail));

    public async Task<QuarantineRecord[]> ReadAsync(ParquetRowGroupReader rg, CancellationToken ct)
    {
        var sources = await ReadStringsAsync(rg, _source, ct);
        var lines = await ReadValuesAsync<int>(rg, _line, ct);
        var ids = await ReadStringsAsync(rg, _recordId, ct);
        var stages = await ReadStringsAsync(rg, _stage, ct);
        var reasons = await ReadStringsAsync(rg, _reason, ct);
        var details = await ReadStringsAsync(rg, _detail, ct);
        var rows = new QuarantineRecord[sources.Length];
        for (int i = 0; i < rows.Length; i++)
            rows[i] = new QuarantineRecord(sources[i], lines[i], ids[i], stages[i], reasons[i], details[i]);
        return rows;
    }
}
