namespace KnPipeline.Stages.Records;

/// <summary>Parquet schema of <see cref="TemplateRecord"/>: relation, language, template_id, text, split.</summary>
public static class TemplateRecordSchema
{
    public static readonly RecordSchema<TemplateRecord> Instance =
        RecordSchema.For(TemplateRecord.SchemaVersion, new TemplateRecord("", "", "", "", ""))
            .String("relation", r => r.Relation, (r, v) => r with { Relation = v })
            .String("language", r => r.Language, (r, v) => r with { Language = v })
            .String("template_id", r => r.TemplateId, (r, v) => r with { TemplateId = v })
            .String("text", r => r.Text, (r, v) => r with { Text = v })
            .String("split", r => r.Split, (r, v) => r with { Split = v })
            .Build();
}
