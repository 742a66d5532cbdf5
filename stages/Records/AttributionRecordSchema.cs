namespace KnPipeline.Stages.Records;

/// <summary>Parquet schema of <see cref="AttributionRecord"/>: the query key, then the figures of one query.</summary>
public static class AttributionRecordSchema
{
    private static readonly AttributionRecord Empty =
        new("", "", "", "", "", "", 0, 0, 0, false, [], [], [], [], [], [], [], 0, []);

    public static readonly RecordSchema<AttributionRecord> Instance =
        RecordSchema.For(AttributionRecord.SchemaVersion, Empty)
            .QueryKey((r, k) => r with
            {
                QueryId = k.QueryId, FactId = k.FactId, Relation = k.Relation, Language = k.Language,
                TemplateId = k.TemplateId,
            })
            .String("method", r => r.Method, (r, v) => r with { Method = v })
            .String("split", r => r.Split, (r, v) => r with { Split = v })
            .Value("f_a", r => r.FA, (r, v) => r with { FA = v })
            .Value("target_prob", r => r.TargetProb, (r, v) => r with { TargetProb = v })
            .Value("target_rank", r => r.TargetRank, (r, v) => r with { TargetRank = v })
            .Value("non_finite", r => r.NonFinite, (r, v) => r with { NonFinite = v })
            .List("layers", r => r.Layers, (r, v) => r with { Layers = v })
            .List("layer_f_baseline", r => r.LayerFBaseline, (r, v) => r with { LayerFBaseline = v })
            .List("layer_sum", r => r.LayerSum, (r, v) => r with { LayerSum = v })
            .List("layer_gap", r => r.LayerGap, (r, v) => r with { LayerGap = v })
            .List("top_layer", r => r.TopLayer, (r, v) => r with { TopLayer = v })
            .List("top_unit", r => r.TopUnit, (r, v) => r with { TopUnit = v })
            .List("top_score", r => r.TopScore, (r, v) => r with { TopScore = v })
            .Value("ffn_width", r => r.FfnWidth, (r, v) => r with { FfnWidth = v })
            .List("attributions", r => r.Attributions, (r, v) => r with { Attributions = v })
            .StringList("layer_rule", r => r.LayerRule, (r, v) => r with { LayerRule = v })
            .List("layer_points", r => r.LayerPoints, (r, v) => r with { LayerPoints = v })
            .List("layer_tolerance_met", r => r.LayerToleranceMet, (r, v) => r with { LayerToleranceMet = v })
            .AlsoReads("attribution/1", "attribution/2")
            .Build();
}
