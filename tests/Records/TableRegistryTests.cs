using KnPipeline.Cli;
using KnPipeline.Export;
using KnPipeline.Graph;
using KnPipeline.Runs;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Config;
using KnPipeline.Tests.Data.Support;
using Xunit;

namespace KnPipeline.Tests.Records;

/// <summary>
/// A table as a new stage would add one: this record, its schema and one registry line, nothing else. The chunk
/// writer, <c>export</c> and <c>export --list</c> then handle it like the built-in tables.
/// </summary>
public sealed record ProbeRecord(string ProbeId, string Language, long Count, float Weight, string? Note,
    double[] Scores, string[] Tags)
{
    public const string SchemaVersion = "probe/1";

    public static readonly RecordSchema<ProbeRecord> Schema =
        RecordSchema.For(SchemaVersion, new ProbeRecord("", "", 0, 0, null, [], []))
            .String("probe_id", r => r.ProbeId, (r, v) => r with { ProbeId = v })
            .String("language", r => r.Language, (r, v) => r with { Language = v })
            .Value("count", r => r.Count, (r, v) => r with { Count = v })
            .Value("weight", r => r.Weight, (r, v) => r with { Weight = v })
            .OptionalString("note", r => r.Note, (r, v) => r with { Note = v })
            .List("scores", r => r.Scores, (r, v) => r with { Scores = v })
            .StringList("tags", r => r.Tags, (r, v) => r with { Tags = v })
            .Build();

    public static readonly TableDef<ProbeRecord> Table = TableRegistry.Register(
        new TableDef<ProbeRecord>("test_probe", Schema, r => r.Language, r => r.ProbeId));
}

[Collection(ConfigConsoleCollection.Name)]
public sealed class TableRegistryTests : IDisposable
{
    private readonly TempBenchmark _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly ProbeRecord[] Probes =
    [
        new("p2", "fr", 2, 0.1f, "deux", [0.5, -1], ["a", "b"]),
        new("p1", "en", 1L << 40, float.NaN, null, [], []),
        new("p3", "en", -3, -2.5f, "trois", [double.Epsilon], ["ü"]),
    ];

    [Fact]
    public void TheBuiltInTablesAreListedInWriteOrderWithTheirPartitionAndVersion()
    {
        Assert.Equal(["queries", "tokenized", "attributions", "kn_sets", "quarantine"],
            TableRegistry.All.Take(5).Select(t => t.Name));
        // Every table is partitioned by language but matrice, whose rows are facts across languages: by method.
        Assert.All(TableRegistry.All.Where(t => t.Name != "matrice"), t => Assert.Equal("language", t.PartitionColumn));
        Assert.Equal("method", TableRegistry.Matrice.PartitionColumn);
        Assert.Equal(typeof(KnSetRecord), TableRegistry.Find("kn_sets")!.RecordType);
        Assert.Equal("tokenized_query/3", TableRegistry.Tokenized.SchemaVersion);
        Assert.Null(TableRegistry.Find("nope"));
    }

    [Fact]
    public void QuarantineIsPartitionedByTheLanguageOfItsQueryAndSortedAsExportSortsIt()
    {
        var q = TableRegistry.Quarantine;
        Assert.Equal("zh", q.PartitionOf(new QuarantineRecord("gpt2", 0, "P36-001|zh|t1", "tokenization", "r", "")));
        Assert.Equal("unknown", q.PartitionOf(new QuarantineRecord("facts/en.jsonl", 3, "P36-001", "data", "r", "")));
        // The stage breaks ties of source, line, record and reason, in the writer and in export alike.
        var a = new QuarantineRecord("s", 1, "id", "data", "r", "");
        Assert.True(string.CompareOrdinal(q.SortKeyOf(a), q.SortKeyOf(a with { Stage = "tokenization" })) < 0);
        Assert.True(string.CompareOrdinal(q.SortKeyOf(a with { Line = 9 }), q.SortKeyOf(a with { Line = 10 })) < 0);
    }

    [Fact]
    public void ATakenNameIsRefusedAndTheSameTableRegistersOnce()
    {
        Assert.Same(ProbeRecord.Table, TableRegistry.Register(ProbeRecord.Table));
        Assert.Single(TableRegistry.All, t => t.Name == "test_probe");
        var clash = new TableDef<ProbeRecord>("queries", ProbeRecord.Schema, r => r.Language, r => r.ProbeId);
        Assert.Contains("'queries'", Assert.Throws<ArgumentException>(() => TableRegistry.Register(clash)).Message);
    }

    [Fact]
    public async Task ARegisteredTableIsWrittenReadAndExportedLikeTheBuiltInOnes()
    {
        var run = new RunFolder(_dir.PathOf("run"));
        run.Create();
        var writer = new ChunkWriter(run, new PartMetadata("hash-1"), rowGroupRows: 2);
        var parts = await writer.WritePartsAsync("s0of1-c000000", [ProbeRecord.Table.Rows(Probes)], default);
        Assert.Equal([Path.Combine("test_probe", "language=en", "part-s0of1-c000000.parquet"),
            Path.Combine("test_probe", "language=fr", "part-s0of1-c000000.parquet")], parts);

        var back = await TableReader.ReadSortedAsync(run, ProbeRecord.Table);
        Assert.Equal(["p1", "p2", "p3"], back.Cast<ProbeRecord>().Select(r => r.ProbeId));
        var p3 = back.Cast<ProbeRecord>().Last();
        Assert.Equal((-3L, -2.5f, "trois"), (p3.Count, p3.Weight, p3.Note));
        Assert.Equal([double.Epsilon], p3.Scores);
        Assert.Equal(["ü"], p3.Tags);
        Assert.Equal(3, await TableReader.CountAsync(run, ProbeRecord.Table));

        using var console = new ConsoleCapture();
        Assert.Equal(0, await CliApp.RunAsync(["export", run.Path, "test_probe", "--format", "jsonl"]));
        Assert.Equal(0, await CliApp.RunAsync(["export", run.Path, "--list"]));
        Assert.Equal(
            """
            {"probe_id":"p1","language":"en","count":1099511627776,"weight":"NaN","note":null,"scores":[],"tags":[]}
            {"probe_id":"p2","language":"fr","count":2,"weight":0.1,"note":"deux","scores":[0.5,-1],"tags":["a","b"]}
            {"probe_id":"p3","language":"en","count":-3,"weight":-2.5,"note":"trois","scores":[5E-324],"tags":["ü"]}
            queries 0
            tokenized 0
            attributions 0
            kn_sets 0
            quarantine 0
            predictions 0
            fact_kns 0
            matrice 0
            lolo 0
            consistency 0
            ql_interventions 0
            synapses 0
            synapse_heatmaps 0
            edits 0
            edit_dev 0
            test_probe 3

            """, console.Out.ReplaceLineEndings("\n"));
    }
}
