using Parquet;
using Parquet.Schema;
using static KnPipeline.Stages.Records.ParquetColumns;

namespace KnPipeline.Stages.Records;

/// <summary>Parquet schema of <see cref="FactRecord"/>: fact_id, relation, language, subject, object, aliases (list&lt;string&gt;).</summary>
public sealed class FactRecordSchema : IRecordSchema<FactRecord>
{
    public static readonly FactRecordSchema Instance = new();

    private readonly DataField<string> _factId = new("fact_id", nullable: false);
    private readonly DataField<string> _relation = new("relation", nullable: false);
    private readonly DataField<string> _language = new("language", nullable: false);
    private readonly DataField<string> _subject = new("subject", nullable: false);
    private readonly DataField<string> _object = new("object", nullable: false);
    private readonly ListField _aliases = List<string>("aliases");

    private FactRecordSchema() => Schema = new ParquetSchema(_factId, _relation, _language, _subject, _object, _aliases);

    public string SchemaVersion => FactRecord.SchemaVersion;

    public ParquetSchema Schema { get; }

    public RowGroupBuffer<FactRecord> CreateBuffer() => new(
        new StringColumn<FactRecord>(_factId, r => r.FactId),
        new StringColumn<FactRecord>(_relation, r => r.Relation),
        new StringColumn<FactRecord>(_language, r => r.Language),
        new StringColumn<FactRecord>(_subject, r => r.Subject),
        new StringColumn<FactRecord>(_object, r => r.Object),
        new ListColumn<FactRecord, string, ReadOnlyMemory<char>>(_aliases, r => r.Aliases, s => s.AsMemory()));

    public async Task<FactRecord[]> ReadAsync(ParquetRowGroupReader rg, CancellationToken ct)
    {
        var ids = await ReadStringsAsync(rg, _factId, ct);
        var relations = await ReadStringsAsync(rg, _relation, ct);
        var languages = await ReadStringsAsync(rg, _language, ct);
        var subjects = await ReadStringsAsync(rg, _subject, ct);
        var objects = await ReadStringsAsync(rg, _object, ct);
        var aliases = await ReadStringListsAsync(rg, _aliases, ct);
        var rows = new FactRecord[ids.Length];
        for (int i = 0; i < rows.Length; i++)
            rows[i] = new FactRecord(ids[i], relations[i], languages[i], subjects[i], objects[i], aliases[i]);
        return rows;
    }
}
