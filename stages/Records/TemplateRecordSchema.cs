using Parquet;
using Parquet.Schema;
using static KnPipeline.Stages.Records.ParquetColumns;

namespace KnPipeline.Stages.Records;

/// <summary>Parquet schema of <see cref="TemplateRecord"/>: relation, language, template_id, text, split.</summary>
public sealed class TemplateRecordSchema : IRecordSchema<TemplateRecord>
{
    public static readonly TemplateRecordSchema Instance = new();

    private readonly DataField<string> _relation = new("relation", nullable: false);
    private readonly DataField<string> _language = new("language", nullable: false);
    private readonly DataField<string> _templateId = new("template_id", nullable: false);
    private readonly DataField<string> _text = new("text", nullable: false);
    private readonly DataField<string> _split = new("split", nullable: false);

    private TemplateRecordSchema() => Schema = new ParquetSchema(_relation, _language, _templateId, _text, _split);

    public string SchemaVersion => TemplateRecord.SchemaVersion;

    public ParquetSchema Schema { get; }

    public RowGroupBuffer<TemplateRecord> CreateBuffer() => new(
        new StringColumn<TemplateRecord>(_relation, r => r.Relation),
        new StringColumn<TemplateRecord>(_language, r => r.Language),
        new StringColumn<TemplateRecord>(_templateId, r => r.TemplateId),
        new StringColumn<TemplateRecord>(_text, r => r.Text),
        new StringColumn<TemplateRecord>(_split, r => r.Split));

    public async Task<TemplateRecord[]> ReadAsync(ParquetRowGroupReader rg, CancellationToken ct)
    {
        var relations = await ReadStringsAsync(rg, _relation, ct);
        var languages = await ReadStringsAsync(rg, _language, ct);
        var ids = await ReadStringsAsync(rg, _templateId, ct);
        var texts = await ReadStringsAsync(rg, _text, ct);
        var splits = await ReadStringsAsync(rg, _split, ct);
        var rows = new TemplateRecord[ids.Length];
        for (int i = 0; i < rows.Length; i++)
            rows[i] = new TemplateRecord(relations[i], languages[i], ids[i], texts[i], splits[i]);
        return rows;
    }
}
