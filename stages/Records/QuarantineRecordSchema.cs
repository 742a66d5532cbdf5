namespace KnPipeline.Stages.Records;

/// <summary>Parquet schema of <see cref="QuarantineRecord"/>: source, line, record_id, stage, reason, detail.</summary>
public static class QuarantineRecordSchema
{
    public static readonly RecordSchema<QuarantineRecord> Instance =
        RecordSchema.For(QuarantineRecord.SchemaVersion, new QuarantineRecord("", 0, "", "", "", ""))
            .String("source", r => r.Source, (r, v) => r with { Source = v })
            .Value("line", r => r.Line, (r, v) => r with { Line = v })
            .String("record_id", r => r.RecordId, (r, v) => r with { RecordId = v })
            .String("stage", r => r.Stage, (r, v) => r with { Stage = v })
            .String("reason", r => r.Reason, (r, v) => r with { Reason = v })
            .String("detail", r => r.Detail, (r, v) => r with { Detail = v })
            .Build();
}
