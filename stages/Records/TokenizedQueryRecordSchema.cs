namespace KnPipeline.Stages.Records;

/// <summary>
/// Parquet schema of <see cref="TokenizedQueryRecord"/>: the query key, split, model_id, input_ids, token_type_ids,
/// prediction_positions, target_ids (each list&lt;int&gt;), object_tokens, unk_tokens. Version 1 parts, which had
/// no template_id, still read (with an empty template id).
/// </summary>
public static class TokenizedQueryRecordSchema
{
    private static readonly TokenizedQueryRecord Empty = new("", "", "", "", "", "", "", [], [], [], [], 0, 0);

    public static readonly RecordSchema<TokenizedQueryRecord> Instance =
        RecordSchema.For(TokenizedQueryRecord.SchemaVersion, Empty)
            .QueryKey((r, k) => r with
            {
                QueryId = k.QueryId, FactId = k.FactId, Relation = k.Relation, Language = k.Language,
                TemplateId = k.TemplateId,
            })
            .String("split", r => r.Split, (r, v) => r with { Split = v })
            .String("model_id", r => r.ModelId, (r, v) => r with { ModelId = v })
            .List("input_ids", r => r.InputIds, (r, v) => r with { InputIds = v })
            .List("token_type_ids", r => r.TokenTypeIds, (r, v) => r with { TokenTypeIds = v })
            .List("prediction_positions", r => r.PredictionPositions, (r, v) => r with { PredictionPositions = v })
            .List("target_ids", r => r.TargetIds, (r, v) => r with { TargetIds = v })
            .Value("object_tokens", r => r.ObjectTokens, (r, v) => r with { ObjectTokens = v })
            .Value("unk_tokens", r => r.UnkTokens, (r, v) => r with { UnkTokens = v })
            .Value("subject_token_start", r => r.SubjectTokenStart, (r, v) => r with { SubjectTokenStart = v })
            .Value("subject_token_end", r => r.SubjectTokenEnd, (r, v) => r with { SubjectTokenEnd = v })
            .AlsoReads("tokenized_query/1", "tokenized_query/2")
            .Build();
}
