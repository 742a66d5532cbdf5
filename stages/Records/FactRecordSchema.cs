namespace KnPipeline.Stages.Records;

/// <summary>
/// Parquet schema of <see cref="FactRecord"/>: fact_id, relation, language, subject, object, aliases.
/// </summary>
public static class FactRecordSchema
{
    public static readonly RecordSchema<FactRecord> Instance =
        RecordSchema.For(FactRecord.SchemaVersion, new FactRecord("", "", "", "", "", []))
            .String("fact_id", r => r.FactId, (r, v) => r with { FactId = v })
            .String("relation", r => r.Relation, (r, v) => r with { Relation = v })
            .String("language", r => r.Language, (r, v) => r with { Language = v })
            .String("subject", r => r.Subject, (r, v) => r with { Subject = v })
            .String("object", r => r.Object, (r, v) => r with { Object = v })
            .StringList("aliases", r => r.Aliases, (r, v) => r with { Aliases = v })
            .Build();
}
