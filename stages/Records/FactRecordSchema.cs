namespace KnPipeline.Stages.Records;

/// <summary>
/// Parquet schema of <see cref="FactRecord"/>: fact_id, relation, language, subject, object, aliases, split.
/// fact/1 parts (without split) still read, as train: no fact was held out by language before split existed.
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
            .String("split", r => r.Split, (r, v) => r with { Split = v })
            .AlsoReads("fact/1")
            .Build();
}
