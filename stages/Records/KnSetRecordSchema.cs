namespace KnPipeline.Stages.Records;

/// <summary>Parquet schema of <see cref="KnSetRecord"/>: the query key, the threshold, the neurons above it.</summary>
public static class KnSetRecordSchema
{
    private static readonly KnSetRecord Empty = new("", "", "", "", "", 0, 0, [], [], []);

    public static readonly RecordSchema<KnSetRecord> Instance = RecordSchema.For(KnSetRecord.SchemaVersion, Empty)
        .QueryKey((r, k) => r with
        {
            QueryId = k.QueryId, FactId = k.FactId, Relation = k.Relation, Language = k.Language,
            TemplateId = k.TemplateId,
        })
        .String("method", r => r.Method, (r, v) => r with { Method = v })
        .Value("threshold", r => r.Threshold, (r, v) => r with { Threshold = v })
        .Value("max_score", r => r.MaxScore, (r, v) => r with { MaxScore = v })
        .List("layer", r => r.Layer, (r, v) => r with { Layer = v })
        .List("unit", r => r.Unit, (r, v) => r with { Unit = v })
        .List("score", r => r.Score, (r, v) => r with { Score = v })
        .AlsoReads("kn_set/1")
        .Build();
}
