namespace KnPipeline.Stages.Records;

/// <summary>
/// Parquet schema of <see cref="QueryRecord"/>: the query key, split, text, prompt (nullable), object, object_start,
/// subject_first.
/// </summary>
public static class QueryRecordSchema
{
    private static readonly QueryRecord Empty = new("", "", "", "", "", "", "", null, "", 0, false);

    public static readonly RecordSchema<QueryRecord> Instance = RecordSchema.For(QueryRecord.SchemaVersion, Empty)
        .QueryKey((r, k) => r with
        {
            QueryId = k.QueryId, FactId = k.FactId, Relation = k.Relation, Language = k.Language,
            TemplateId = k.TemplateId,
        })
        .String("split", r => r.Split, (r, v) => r with { Split = v })
        .String("text", r => r.Text, (r, v) => r with { Text = v })
        .OptionalString("prompt", r => r.Prompt, (r, v) => r with { Prompt = v })
        .String("object", r => r.Object, (r, v) => r with { Object = v })
        .Value("object_start", r => r.ObjectStart, (r, v) => r with { ObjectStart = v })
        .Value("subject_first", r => r.SubjectFirst, (r, v) => r with { SubjectFirst = v })
        .Value("subject_start", r => r.SubjectStart, (r, v) => r with { SubjectStart = v })
        .Value("subject_length", r => r.SubjectLength, (r, v) => r with { SubjectLength = v })
        .AlsoReads("query/1")
        .Build();
}
