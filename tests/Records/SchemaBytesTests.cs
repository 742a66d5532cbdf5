using System.Security.Cryptography;
using System.Text.Json;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Data.Support;
using Xunit;

namespace KnPipeline.Tests.Records;

/// <summary>
/// The declared schemas write the same bytes as the hand-written ones they replaced, so old runs still read and
/// exports stay identical. The hashes are of files the hand-written schemas wrote from these same records (commit
/// 8f19a29); any change to a physical schema (a name, type, nullability, list layout or order) changes them.
/// </summary>
public sealed class SchemaBytesTests : IDisposable
{
    private static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly TempBenchmark _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly FactRecord[] Facts =
    [
        new("f1", "P19", "en", "Dante", "Florence", ["Firenze", "Florenz"]),
        new("f2", "P19", "ja", "ダンテ", "フィレンツェ", []),
        new("f3", "P36", "ru", "Франция", "Париж", ["Париж"], "heldout-language"),
    ];

    private static readonly TemplateRecord[] Templates =
    [
        new("P19", "en", "P19_1", "[X] was born in [Y] .", "train"),
        new("P19", "ja", "P19_2", "[Y]は[X]の出身地です。", "heldout"),
        new("P36", "fr", "P36_1", "[X] a pour capitale [Y] .", "train"),
    ];

    private static readonly QuarantineRecord[] Quarantine =
    [
        new("facts/en.jsonl", 7, "f9", "data", "empty_object", "the object is empty"),
        new("gpt2", 0, "f1|en|t1", "tokenization", "unk", "object '' encodes to nothing"),
        new("x", -3, "", "data", "bad", ""),
    ];

    private static readonly QueryRecord[] Queries =
    [
        new("f1|en|t1", "f1", "P19", "en", "t1", "train", "Dante was born in [Y] .", "Dante was born in", "Florence",
            18, true),
        new("f1|en|t3", "f1", "P19", "en", "t3", "heldout", "[Y] is the birthplace of Dante .", null, "Florence", 0,
            false),
        new("f2|zh|t1", "f2", "P36", "zh", "t1", "train", "法国的首都是[Y]", "法国的首都是", "巴黎", 6, true),
    ];

    private static TokenizedQueryRecord[] Tokenized(Func<int, string> templateId) =>
        Enumerable.Range(0, 5).Select(i => new TokenizedQueryRecord($"f{i}|en|t{i}", $"f{i}", "P19", "en",
            templateId(i), "train", "gpt2", Enumerable.Range(100, i + 1).ToArray(), i % 2 == 0 ? [] : new int[i + 1],
            [i], [7000 + i, 7001], 2, i % 3)).ToArray();

    private static readonly string[] Methods = ["dai", "amig", "dataset-mean"];

    // Empty lists in the middle of a row group and at its ends: the list-read trap of ParquetColumns.
    private static readonly AttributionRecord[] Attributions = Enumerable.Range(0, 3).Select(i =>
        new AttributionRecord($"f{i}|en|t1", $"f{i}", "P19", "en", "t1", "train", 0.5 + i, 0.25 / (i + 1), i, i == 2,
            [0, 1], [0.1, double.NaN], [1.5, -2], [1e-9, 3], i == 1 ? [] : [0, 1], i == 1 ? [] : [5, 7],
            i == 1 ? [] : [0.5f, -1f], 4, i == 0 ? [] : [1f, 2f, 3f, 4f, float.NegativeInfinity, 6f, 7f, 8f])
            { Method = Methods[i] }).ToArray();

    private static readonly KnSetRecord[] KnSets = Enumerable.Range(0, 3).Select(i =>
        new KnSetRecord($"f{i}|en|t1", $"f{i}", "P19", "en", "t1", 0.2, i == 1 ? double.NaN : 1.5,
            i == 1 ? [] : [1, 0], i == 1 ? [] : [3, 2], i == 1 ? [] : [1.5f, 0.4f]) { Method = Methods[i] })
        .ToArray();

    /// <summary>Writes the records (two rows a row group), checks they read back equal, and hashes the file.</summary>
    private async Task<string> RoundTripAsync<T>(string name, IRecordSchema<T> schema, IReadOnlyList<T> rows,
        IRecordSchema<T>? readWith = null)
    {
        string path = _dir.PathOf(name + ".parquet");
        await using (var w = await PartWriter<T>.CreateAsync(path, schema, new PartMetadata("hash-1", "def"), 2))
        {
            await w.WriteAsync(rows);
            await w.CompleteAsync();
        }
        var back = new List<T>();
        await foreach (var r in PartReader.ReadAsync(path, readWith ?? schema))
            back.Add(r);
        if (readWith is null)
            Assert.Equal(JsonSerializer.Serialize(rows, Json), JsonSerializer.Serialize(back, Json));
        return Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path)));
    }

    [Fact]
    public async Task EveryTableWritesTheBytesTheHandWrittenSchemasWrote()
    {
        // fact/2: split added after the six columns of /1, whose bytes (11dcc504…) the test below checks unchanged.
        Assert.Equal("a56ac73600f057eb667d9138280debeb56abe3cf68c4a58ec09191f638cc2452",
            await RoundTripAsync("facts", FactRecordSchema.Instance, Facts));
        Assert.Equal("e1a7617c4a255fbfdddeecfedfd5496ec281dd14330e6e1401ebc463b0b88187",
            await RoundTripAsync("templates", TemplateRecordSchema.Instance, Templates));
        Assert.Equal("7e42512b6c44d00e5d2dc7c88bb4118a820fc61f6b210883c844ad255352c8bc",
            await RoundTripAsync("quarantine", QuarantineRecordSchema.Instance, Quarantine));
        // query/2 added subject_start and subject_length after query/1's eleven columns (whose hash was e3aff78f…).
        Assert.Equal("13f1d0f408cbfb50b2566b5e795d41a10b6612239d7eb6b295909efce4d12151",
            await RoundTripAsync("queries", QueryRecordSchema.Instance, Queries));
        // attribution/2 (three per-layer columns added after the nineteen of /1, whose bytes the default run's
        // export check showed unchanged): the hash of /1 was 5bb6b3d6a4505971de6f621266b0f48e4febc3b6392191d8042c8933.
        // attribution/3 and kn_set/2 add `method` after the query key (the test below reads parts without it).
        Assert.Equal("ed68f0c67dc2f0111601270a6ba821d6b54d12475ac919d92604ff02f7d3c913",
            await RoundTripAsync("attributions", AttributionRecordSchema.Instance, Attributions));
        Assert.Equal("943e649c0d4a41f9227b4a4b6beaee181192036b3d1f74a541b998bec3223f30",
            await RoundTripAsync("kn_sets", KnSetRecordSchema.Instance, KnSets));
    }

    [Fact]
    public async Task MethodColumnVersionsStillReadPartsWrittenBeforeIt()
    {
        // attribution/2 and kn_set/1 are the current schemas without `method`: their parts read with it empty.
        var a3 = AttributionRecordSchema.Instance;
        Assert.Equal(("attribution/3", "kn_set/2"), (a3.SchemaVersion, KnSetRecordSchema.Instance.SchemaVersion));
        Assert.Equal("method", a3.Schema.Fields[5].Name);
        var a2 = RecordSchema.For("attribution/2", Attributions[0]);
        foreach (var c in a3.Columns.Where(c => c.Field.Name != "method"))
            a2.Column(c);
        await RoundTripAsync("attributions2", a2.Build(), Attributions, readWith: a3);
        var back = new List<AttributionRecord>();
        await foreach (var r in PartReader.ReadAsync(_dir.PathOf("attributions2.parquet"), a3))
            back.Add(r);
        Assert.Equal(Attributions.Select(r => r with { Method = "" }).Select(r => JsonSerializer.Serialize(r, Json)),
            back.Select(r => JsonSerializer.Serialize(r, Json)));

        var k1 = RecordSchema.For("kn_set/1", KnSets[0]);
        foreach (var c in KnSetRecordSchema.Instance.Columns.Where(c => c.Field.Name != "method"))
            k1.Column(c);
        await RoundTripAsync("kn_sets1", k1.Build(), KnSets, readWith: KnSetRecordSchema.Instance);
        var sets = new List<KnSetRecord>();
        await foreach (var r in PartReader.ReadAsync(_dir.PathOf("kn_sets1.parquet"), KnSetRecordSchema.Instance))
            sets.Add(r);
        Assert.Equal(KnSets.Select(r => r.QueryId), sets.Select(r => r.QueryId));
        Assert.All(sets, r => Assert.Equal("", r.Method));
    }

    [Fact]
    public async Task TokenizedVersion2AddsTemplateIdAndVersion1PartsStillRead()
    {
        // tokenized_query/3 added the subject's token span after /2's columns.
        var v2 = TokenizedQueryRecordSchema.Instance;
        Assert.Equal("tokenized_query/3", v2.SchemaVersion);
        Assert.Equal(["query_id", "fact_id", "relation", "language", "template_id", "split", "model_id", "input_ids",
            "token_type_ids", "prediction_positions", "target_ids", "object_tokens", "unk_tokens",
            "subject_token_start", "subject_token_end"], v2.Schema.Fields.Select(f => f.Name));
        await RoundTripAsync("tokenized2", v2, Tokenized(i => $"t{i}"));

        // Version 1 is version 2 without template_id: the same columns give the old file, byte for byte.
        var builder = RecordSchema.For("tokenized_query/1", Tokenized(_ => "")[0]);
        foreach (var c in v2.Columns.Where(c => c.Field.Name is not ("template_id" or "subject_token_start"
                     or "subject_token_end")))
            builder.Column(c);
        var rows = Tokenized(_ => "");
        Assert.Equal("dfff67d697697ae29109b6971f80118d00d0626958c3a55604c17ec2298f860e",
            await RoundTripAsync("tokenized1", builder.Build(), rows));
        var back = new List<TokenizedQueryRecord>();
        await foreach (var r in PartReader.ReadAsync(_dir.PathOf("tokenized1.parquet"), v2))
            back.Add(r);
        Assert.Equal(JsonSerializer.Serialize(rows, Json), JsonSerializer.Serialize(back, Json));
        Assert.All(back, r => Assert.Equal(("", -1, -1), (r.TemplateId, r.SubjectTokenStart, r.SubjectTokenEnd)));
    }

    [Fact]
    public async Task FactVersion2AddsSplitAndVersion1PartsStillReadAsTrain()
    {
        var v2 = FactRecordSchema.Instance;
        Assert.Equal("fact/2", v2.SchemaVersion);
        Assert.Equal(["fact_id", "relation", "language", "subject", "object", "aliases", "split"],
            v2.Schema.Fields.Select(f => f.Name));

        // Version 1 is version 2 without split: the same columns give the old file, byte for byte. Its facts read
        // as train, the only status a fact had before #13 held cells out by language.
        var builder = RecordSchema.For("fact/1", Facts[0]);
        foreach (var c in v2.Columns.Where(c => c.Field.Name != "split"))
            builder.Column(c);
        var rows = Facts.Select(f => f with { Split = TemplateSplits.Train }).ToArray();
        Assert.Equal("11dcc504aa908604d60b3bc2a696663718dd8594c2134809020454bafa950488",
            await RoundTripAsync("facts1", builder.Build(), rows));
        var back = new List<FactRecord>();
        await foreach (var r in PartReader.ReadAsync(_dir.PathOf("facts1.parquet"), v2))
            back.Add(r);
        Assert.Equal(JsonSerializer.Serialize(rows, Json), JsonSerializer.Serialize(back, Json));
    }

    [Fact]
    public void AColumnDeclaredTwiceIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => RecordSchema.For("x/1", Templates[0])
            .String("text", r => r.Text, (r, v) => r with { Text = v })
            .String("text", r => r.Split, (r, v) => r with { Split = v }));
        Assert.Contains("'text'", e.Message);
    }
}
