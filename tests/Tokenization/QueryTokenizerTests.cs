using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Records;
using KnPipeline.Stages.Tokenization;
using KnPipeline.Tests.Tokenization.Support;
using Xunit;

namespace KnPipeline.Tests.Tokenization;

public sealed class QueryTokenizerTests
{
    // Ids: 0-4 specials, then 5 Dante, 6 Ġwas, 7 Ġborn, 8 Ġin, 9 ĠFlorence, 10 Florence, 11 ダ, 12 ン, 13 テ, 14 は,
    // 15 パ, 16 リ, 17 ĠNew, 18 ĠYork.
    private static readonly TinyVocabTokenizer Causal = new(false,
        "Dante", "Ġwas", "Ġborn", "Ġin", "ĠFlorence", "Florence", "ダ", "ン", "テ", "は", "パ", "リ", "ĠNew", "ĠYork");

    // Ids: 0-4 specials, then 5 Dante, 6 was, 7 born, 8 in, 9 Florence, 10 ., 11 New, 12 York, 13 is, 14 the,
    // 15 birthplace, 16 of.
    private static readonly TinyVocabTokenizer Masked = new(true,
        "Dante", "was", "born", "in", "Florence", ".", "New", "York", "is", "the", "birthplace", "of");

    private static QueryRecord Query(string language, string template, string subject, string obj, string id = "t")
    {
        var fact = new FactRecord("f", "P19", language, subject, obj, []);
        return QueryExpander.MakeQuery(fact, new TemplateRecord("P19", language, id, template, "train"));
    }

    [Fact]
    public void CausalInputIsThePromptAndTheTargetTheObjectWithItsLeadingSpace()
    {
        var t = new QueryTokenizer(Causal, "tiny", ModelKind.Causal).Tokenize(
            Query("en", "[X] was born in [Y] .", "Dante", "Florence"), new QuarantineLog())!;
        Assert.Equal([5, 6, 7, 8], t.InputIds);
        Assert.Equal([3], t.PredictionPositions);
        Assert.Equal([9], t.TargetIds);
        Assert.Empty(t.TokenTypeIds);
        Assert.Equal((1, 0, "tiny", "f|en|t"), (t.ObjectTokens, t.UnkTokens, t.ModelId, t.QueryId));
    }

    [Fact]
    public void TheSubjectsTokenSpanIsRecordedWhereverTheSubjectSits()
    {
        var causal = new QueryTokenizer(Causal, "tiny", ModelKind.Causal);
        // "New York" after "born in": tokens 3..4 of [Dante, Ġwas, Ġborn, Ġin, ĠNew, ĠYork, Ġwas].
        var q = Query("en", "Dante was born in [X] was [Y] .", "New York", "Florence");
        Assert.Equal((18, 8), (q.SubjectStart, q.SubjectLength));
        var t = causal.Tokenize(q, new QuarantineLog())!;
        Assert.Equal((4, 6), (t.SubjectTokenStart, t.SubjectTokenEnd));
        // At the start of the prompt.
        t = causal.Tokenize(Query("en", "[X] was born in [Y] .", "Dante", "Florence"), new QuarantineLog())!;
        Assert.Equal((0, 1), (t.SubjectTokenStart, t.SubjectTokenEnd));
        // A masked LM with the object first: the masks move the subject, [CLS] shifts every index by one.
        var masked = new QueryTokenizer(Masked, "tiny-mlm", ModelKind.Masked);
        t = masked.Tokenize(Query("en", "[Y] is the birthplace of [X] .", "Dante", "Florence"), new QuarantineLog())!;
        Assert.Equal(Masked.MaskId!.Value, t.InputIds[t.PredictionPositions[0]]);
        Assert.Equal(5, t.InputIds[t.SubjectTokenStart]);
        Assert.Equal(t.SubjectTokenStart + 1, t.SubjectTokenEnd);
    }

    [Fact]
    public void LanguagesWithoutSpacesAndElidedArticlesGetNoLeadingSpace()
    {
        var tokenizer = new QueryTokenizer(Causal, "tiny", ModelKind.Causal);
        var ja = tokenizer.Tokenize(Query("ja", "[X]は[Y]で生まれた。", "ダンテ", "パリ"), new QuarantineLog())!;
        Assert.Equal([11, 12, 13, 14], ja.InputIds);
        Assert.Equal([3], ja.PredictionPositions);
        Assert.Equal([15, 16], ja.TargetIds);
        Assert.Equal(2, ja.ObjectTokens);
        var fr = tokenizer.Tokenize(Query("fr", "[X] est né à l'[Y] .", "Dante", "Florence"), new QuarantineLog())!;
        Assert.Equal([10], fr.TargetIds);
        var en = tokenizer.Tokenize(Query("en", "[X] was born in [Y] .", "Dante", "New York"), new QuarantineLog())!;
        Assert.Equal([17, 18], en.TargetIds);
    }

    [Fact]
    public void MaskedInputHoldsOneMaskPerObjectToken()
    {
        var tokenizer = new QueryTokenizer(Masked, "tiny-mlm", ModelKind.Masked);
        var one = tokenizer.Tokenize(Query("en", "[X] was born in [Y] .", "Dante", "Florence"), new QuarantineLog())!;
        Assert.Equal([2, 5, 6, 7, 8, 4, 10, 3], one.InputIds);
        Assert.Equal([5], one.PredictionPositions);
        Assert.Equal([9], one.TargetIds);
        Assert.Equal(new int[8], one.TokenTypeIds);
        var two = tokenizer.Tokenize(Query("en", "[Y] is the birthplace of [X] .", "Dante", "New York"), new QuarantineLog())!;
        Assert.Equal([2, 4, 4, 13, 14, 15, 16, 5, 10, 3], two.InputIds);
        Assert.Equal([1, 2], two.PredictionPositions);
        Assert.Equal([11, 12], two.TargetIds);
    }

    [Fact]
    public void AnObjectThatTokenizesToNothingIsQuarantinedAndTheRestGoesOn()
    {
        var q = new QuarantineLog();
        var tokenizer = new QueryTokenizer(Causal, "tiny", ModelKind.Causal);
        var queries = new[]
        {
            Query("en", "[X] was born in [Y] .", "Atlantis", "\u200B", "a"),
            Query("en", "[X] was born in [Y] .", "Dante", "Florence", "b"),
        };
        var tokenized = tokenizer.TokenizeAll(queries, q).ToList();
        Assert.Equal(["f|en|b"], tokenized.Select(t => t.QueryId));
        var bad = Assert.Single(q.Records);
        Assert.Equal(("tiny", 0, "f|en|a", "tokenization", "object_tokenizes_to_nothing"),
            (bad.Source, bad.Line, bad.RecordId, bad.Stage, bad.Reason));
        Assert.Equal(1, tokenizer.Diagnostics.Language("en").Quarantined);
    }

    [Fact]
    public void ALiteralMaskInTheSubjectIsAMaskCountMismatch()
    {
        var q = new QuarantineLog();
        Assert.Null(new QueryTokenizer(Masked, "tiny-mlm", ModelKind.Masked)
            .Tokenize(Query("en", "[X] was born in [Y] .", "[MASK]", "Florence"), q));
        Assert.Equal("mask_count_mismatch", Assert.Single(q.Records).Reason);
    }

    [Fact]
    public void CausalQueriesWithoutPromptAreCountedNotQuarantined()
    {
        var q = new QuarantineLog();
        var tokenizer = new QueryTokenizer(Causal, "tiny", ModelKind.Causal);
        Assert.Null(tokenizer.Tokenize(Query("en", "[Y] is the birthplace of [X] .", "Dante", "Florence"), q));
        Assert.Equal(0, q.Total);
        Assert.Equal(1, tokenizer.Diagnostics.Language("en").Skipped);
    }

    [Fact]
    public void DiagnosticsReportTokensPerObjectAndTheUnknownRate()
    {
        var tokenizer = new QueryTokenizer(Causal, "tiny", ModelKind.Causal);
        var q = new QuarantineLog();
        tokenizer.Tokenize(Query("en", "[X] was born in [Y] .", "Dante", "Florence"), q);
        var kant = tokenizer.Tokenize(Query("en", "[X] was born in [Y] .", "Kant", "Königsberg"), q)!;
        Assert.Equal([1, 6, 7, 8], kant.InputIds);
        Assert.Equal(2, kant.UnkTokens);
        tokenizer.Tokenize(Query("ja", "[X]は[Y]で生まれた。", "ダンテ", "パリ"), q);
        var en = tokenizer.Diagnostics.Language("en");
        Assert.Equal((2L, 2L, 10L, 2L), (en.Queries, en.ObjectTokens, en.Tokens, en.UnknownTokens));
        Assert.Equal(1.0, en.TokensPerObject);
        Assert.Equal(0.2, en.UnknownTokenRate);
        Assert.Equal(["en", "ja"], tokenizer.Diagnostics.Snapshot().Select(s => s.Language));
        Assert.Equal(2.0, tokenizer.Diagnostics.Language("ja").TokensPerObject);
    }

    [Fact]
    public void AMaskedModelNeedsAMaskToken()
    {
        var e = Assert.Throws<ArgumentException>(() => new QueryTokenizer(Causal, "gpt-like", ModelKind.Masked));
        Assert.Contains("gpt-like", e.Message);
    }
}
