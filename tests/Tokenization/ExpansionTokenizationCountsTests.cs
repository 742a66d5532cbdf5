using KnPipeline.Stages.Data;
using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Records;
using KnPipeline.Stages.Tokenization;
using KnPipeline.Tests.Data.Support;
using KnPipeline.Tests.Tokenization.Support;
using Xunit;

namespace KnPipeline.Tests.Tokenization;

/// <summary>
/// Expansion + tokenization of <see cref="RmlLamaFixture"/>, end to end into a Parquet part, with exact counts:
/// <list type="bullet">
/// <item>causal: 11 queries (en 9, ja 2), 5 subject_after_object skips; f6's zero-width object is quarantined,
/// so 10 tokenized, 22 object tokens (en 8 × 1; ja フィレンツェ 6 + ケーニヒスベルク 8);</item>
/// <item>masked: 16 queries, 1 quarantined, 15 tokenized, 39 object tokens (en 11 × 1; ja 2 × (6 + 8)).</item>
/// </list>
/// The data stage quarantines 1 fact (ja P36, no_templates) in both cases.
/// </summary>
public sealed class ExpansionTokenizationCountsTests
{
    private static async Task<(List<TokenizedQueryRecord> Rows, QueryExpander Expander, QueryTokenizer Tokenizer,
        QuarantineLog Quarantine)> RunAsync(ModelKind kind)
    {
        using var b = RmlLamaFixture.Create();
        var quarantine = new QuarantineLog();
        var source = new RmlLamaLoader().Open(b.Root, quarantine);
        var expander = new QueryExpander(new QueryExpansionOptions { ModelKind = kind });
        var tokenizer = new QueryTokenizer(new TinyVocabTokenizer(kind == ModelKind.Masked, "ĠFlorence", "Florence"),
            "tiny", kind, QueryTokenizer.SpacesOf(source));
        string path = b.PathOf("tokenized/part-00000.parquet");
        await using (var writer = await PartWriter<TokenizedQueryRecord>.CreateAsync(path,
                         TokenizedQueryRecordSchema.Instance, new PartMetadata("fixture"), rowGroupSize: 4))
        {
            await writer.WriteAsync(tokenizer.TokenizeAll(expander.Expand(source, quarantine), quarantine));
            await writer.CompleteAsync();
        }
        var rows = new List<TokenizedQueryRecord>();
        await foreach (var r in PartReader.ReadAsync(path, TokenizedQueryRecordSchema.Instance))
            rows.Add(r);
        return (rows, expander, tokenizer, quarantine);
    }

    [Fact]
    public async Task CausalCountsAreExact()
    {
        var (rows, expander, tokenizer, quarantine) = await RunAsync(ModelKind.Causal);
        Assert.Equal(11, expander.Queries);
        Assert.Equal(5, expander.Skipped[QueryExpander.SubjectAfterObject]);
        Assert.Equal(10, rows.Count);
        Assert.Equal(22, rows.Sum(r => r.ObjectTokens));
        Assert.All(rows, r => Assert.Equal([r.InputIds.Length - 1], r.PredictionPositions));
        Assert.Equal(new Dictionary<string, long> { ["no_templates"] = 1, ["object_tokenizes_to_nothing"] = 1 },
            quarantine.CountsByReason());
        Assert.Equal("f6|en|P36_en_1", quarantine.Records.Single(r => r.Stage == "tokenization").RecordId);
        var en = tokenizer.Diagnostics.Language("en");
        var ja = tokenizer.Diagnostics.Language("ja");
        Assert.Equal((8L, 1.0, 1L), (en.Queries, en.TokensPerObject, en.Quarantined));
        Assert.Equal((2L, 7.0), (ja.Queries, ja.TokensPerObject));
    }

    [Fact]
    public async Task MaskedCountsAreExact()
    {
        var (rows, expander, tokenizer, quarantine) = await RunAsync(ModelKind.Masked);
        Assert.Equal(16, expander.Queries);
        Assert.Equal(0, expander.Skipped[QueryExpander.SubjectAfterObject]);
        Assert.Equal(15, rows.Count);
        Assert.Equal(39, rows.Sum(r => r.ObjectTokens));
        Assert.All(rows, r => Assert.Equal(r.ObjectTokens, r.PredictionPositions.Length));
        Assert.All(rows, r => Assert.All(r.PredictionPositions, p => Assert.Equal(4, r.InputIds[p])));
        Assert.Equal(2, quarantine.Total);
        Assert.Equal(4, tokenizer.Diagnostics.Language("ja").Queries);
    }
}
