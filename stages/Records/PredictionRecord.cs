namespace KnPipeline.Stages.Records;

/// <summary>
/// What the model predicts for one tokenized query, localized or not (docs/architecture.md, Definitions,
/// "Which queries are localized"):
/// the top-1 token at the first target position, and the gold object's first token's rank (0 = top-1) and
/// probability there. <see cref="Correct"/> is what <c>localize: correct</c> selects on, so accuracy per language
/// and split comes from this table, not from the attributed subset.
/// </summary>
public sealed record PredictionRecord(
    string QueryId,
    string FactId,
    string Relation,
    string Language,
    string TemplateId,
    string Split,
    int Top1Id,
    string Top1Token,
    int GoldId,
    int GoldRank,
    double GoldProb,
    bool Correct) : IQueryKeyed
{
    public const string SchemaVersion = "prediction/1";
}

/// <summary>Parquet schema of <see cref="PredictionRecord"/>: the query key, split, then the prediction.</summary>
public static class PredictionRecordSchema
{
    private static readonly PredictionRecord Empty = new("", "", "", "", "", "", 0, "", 0, 0, 0, false);

    public static readonly RecordSchema<PredictionRecord> Instance = RecordSchema
        .For(PredictionRecord.SchemaVersion, Empty)
        .QueryKey((r, k) => r with
        {
            QueryId = k.QueryId, FactId = k.FactId, Relation = k.Relation, Language = k.Language,
            TemplateId = k.TemplateId,
        })
        .String("split", r => r.Split, (r, v) => r with { Split = v })
        .Value("top1_id", r => r.Top1Id, (r, v) => r with { Top1Id = v })
        .String("top1_token", r => r.Top1Token, (r, v) => r with { Top1Token = v })
        .Value("gold_id", r => r.GoldId, (r, v) => r with { GoldId = v })
        .Value("gold_rank", r => r.GoldRank, (r, v) => r with { GoldRank = v })
        .Value("gold_prob", r => r.GoldProb, (r, v) => r with { GoldProb = v })
        .Value("correct", r => r.Correct, (r, v) => r with { Correct = v })
        .Build();
}
