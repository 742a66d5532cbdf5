using KnPipeline.Stages.Records;
using KnPipeline.Tests.Data.Support;
using Xunit;

namespace KnPipeline.Tests.Records;

public sealed class PartWriterTests : IDisposable
{
    private readonly TempBenchmark _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<List<T>> WriteAndReadAsync<T>(string path, IRecordSchema<T> schema, IEnumerable<T> rows,
        int rowGroupSize)
    {
        await using (var w = await PartWriter<T>.CreateAsync(path, schema,
                         new PartMetadata("hash-1", "gpt2: mlp.c_proj input"), rowGroupSize))
        {
            await w.WriteAsync(rows);
            await w.CompleteAsync();
        }
        var back = new List<T>();
        await foreach (var r in PartReader.ReadAsync(path, schema))
            back.Add(r);
        return back;
    }

    [Fact]
    public async Task FactsRoundTripIncludingEmptyAndNonAsciiAliasLists()
    {
        FactRecord[] facts =
        [
            new("f1", "P19", "en", "Dante", "Florence", ["Firenze", "Florenz"]),
            new("f2", "P19", "ja", "ダンテ", "フィレンツェ", []),
            new("f3", "P36", "ru", "Франция", "Париж", ["Париж"]),
        ];
        var back = await WriteAndReadAsync(_dir.PathOf("facts.parquet"), FactRecordSchema.Instance, facts, 2);
        Assert.Equal(facts.Length, back.Count);
        for (int i = 0; i < facts.Length; i++)
        {
            Assert.Equal(facts[i] with { Aliases = [] }, back[i] with { Aliases = [] });
            Assert.Equal(facts[i].Aliases, back[i].Aliases);
        }
    }

    [Fact]
    public async Task TemplatesAndQuarantineRecordsRoundTrip()
    {
        TemplateRecord[] templates =
        [
            new("P19", "en", "P19_1", "[X] was born in [Y] .", "train"),
            new("P19", "ja", "P19_2", "[Y]は[X]の出身地です。", "heldout"),
        ];
        Assert.Equal(templates,
            await WriteAndReadAsync(_dir.PathOf("t.parquet"), TemplateRecordSchema.Instance, templates, 10));
        QuarantineRecord[] bad =
        [
            new("facts/en.jsonl", 7, "f9", "data", "empty_object", "the object is empty"),
            new("gpt2", 0, "f1|en|t1", "tokenization", "object_tokenizes_to_nothing", "object '' encodes to no token"),
        ];
        Assert.Equal(bad, await WriteAndReadAsync(_dir.PathOf("q.parquet"), QuarantineRecordSchema.Instance, bad, 1));
    }

    [Fact]
    public async Task QueriesRoundTripWithNullPrompt()
    {
        QueryRecord[] queries =
        [
            new("f1|en|t1", "f1", "P19", "en", "t1", "train", "Dante was born in [Y] .", "Dante was born in",
                "Florence", 18, true),
            new("f1|en|t3", "f1", "P19", "en", "t3", "heldout", "[Y] is the birthplace of Dante .", null, "Florence",
                0, false),
        ];
        Assert.Equal(queries,
            await WriteAndReadAsync(_dir.PathOf("queries.parquet"), QueryRecordSchema.Instance, queries, 50_000));
    }

    [Fact]
    public async Task TokenizedQueriesRoundTripAcrossSeveralRowGroups()
    {
        var rows = Enumerable.Range(0, 7).Select(i => new TokenizedQueryRecord($"q{i}", $"f{i}", "P19", "en", $"t{i}",
            "train", "gpt2", Enumerable.Range(100, i + 1).ToArray(), i % 2 == 0 ? [] : new int[i + 1], [i],
            [7000 + i, 7001],
            2, i % 3)).ToArray();
        string path = _dir.PathOf("tok.parquet");
        var back = await WriteAndReadAsync(path, TokenizedQueryRecordSchema.Instance, rows, 3);
        Assert.Equal(7, back.Count);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(rows[i].QueryId, back[i].QueryId);
            Assert.Equal(rows[i].InputIds, back[i].InputIds);
            Assert.Equal(rows[i].TokenTypeIds, back[i].TokenTypeIds);
            Assert.Equal(rows[i].PredictionPositions, back[i].PredictionPositions);
            Assert.Equal(rows[i].TargetIds, back[i].TargetIds);
            Assert.Equal(rows[i].UnkTokens, back[i].UnkTokens);
        }
        var groups = new List<int>();
        await foreach (var g in PartReader.ReadRowGroupsAsync(path, TokenizedQueryRecordSchema.Instance))
            groups.Add(g.Length);
        Assert.Equal([3, 3, 1], groups);
    }

    [Fact]
    public async Task EveryPartCarriesSchemaVersionManifestHashAndNeuronDefinition()
    {
        string path = _dir.PathOf("meta.parquet");
        await using (var w = await PartWriter<FactRecord>.CreateAsync(path, FactRecordSchema.Instance,
                         new PartMetadata("abc123", "", new Dictionary<string, string> { ["kn.model_id"] = "gpt2" })))
            await w.CompleteAsync();
        var meta = await PartReader.ReadMetadataAsync(path);
        Assert.Equal("fact/2", meta["kn.schema_version"]);
        Assert.Equal("abc123", meta["kn.manifest_hash"]);
        Assert.Equal("", meta["kn.neuron_definition"]);
        Assert.Equal("gpt2", meta["kn.model_id"]);
    }

    [Fact]
    public async Task RowsGoToATempFileAndTheFinalNameAppearsOnlyOnCompletion()
    {
        string path = _dir.PathOf("part-00001.parquet");
        await using var w =
            await PartWriter<FactRecord>.CreateAsync(path, FactRecordSchema.Instance, new PartMetadata(""), 2);
        for (int i = 0; i < 5; i++)
            await w.WriteAsync(new FactRecord($"f{i}", "P19", "en", "s", "o", []));
        Assert.True(File.Exists(path + ".tmp"));
        Assert.False(File.Exists(path));
        Assert.Equal(2, w.RowGroupsWritten);
        await w.CompleteAsync();
        Assert.True(File.Exists(path));
        Assert.False(File.Exists(path + ".tmp"));
        Assert.Equal(3, w.RowGroupsWritten);
        Assert.Equal(5, w.RowCount);
    }

    [Fact]
    public async Task DisposingWithoutCompletingLeavesNoPartBehind()
    {
        string path = _dir.PathOf("aborted.parquet");
        await using (var w =
                     await PartWriter<FactRecord>.CreateAsync(path, FactRecordSchema.Instance, new PartMetadata(""), 1))
            await w.WriteAsync(new FactRecord("f1", "P19", "en", "s", "o", []));
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public async Task AnExistingPartIsNeverOverwritten()
    {
        string path = _dir.PathOf("done.parquet");
        File.WriteAllText(path, "x");
        var e = await Assert.ThrowsAsync<IOException>(() =>
            PartWriter<FactRecord>.CreateAsync(path, FactRecordSchema.Instance, new PartMetadata("")));
        Assert.Contains("done.parquet", e.Message);
    }

    [Fact]
    public async Task ReadingWithTheWrongSchemaNamesTheFileAndBothVersions()
    {
        string path = _dir.PathOf("facts.parquet");
        await using (var w =
                     await PartWriter<FactRecord>.CreateAsync(path, FactRecordSchema.Instance, new PartMetadata("")))
            await w.CompleteAsync();
        var e = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var _ in PartReader.ReadAsync(path, TemplateRecordSchema.Instance))
            {
            }
        });
        Assert.Contains("'fact/2'", e.Message);
        Assert.Contains("'template/1'", e.Message);
        Assert.Contains("facts.parquet", e.Message);
    }
}
