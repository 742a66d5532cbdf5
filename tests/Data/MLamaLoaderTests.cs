using KnPipeline.Stages.Data;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Data.Support;
using Xunit;

namespace KnPipeline.Tests.Data;

public sealed class MLamaLoaderTests : IDisposable
{
    // The public mLAMA layout: mlama1.1/<lang>/templates.jsonl and one facts file per relation, Google-RE included.
    private readonly TempBenchmark _b = new TempBenchmark()
        .Write("mlama1.1/en/templates.jsonl",
            """{"relation": "P19", "template": "[X] was born in [Y] .", "label": "place of birth", "type": "N-1"}""",
            """{"relation": "P20", "template": "[X] died in [Y] .", "label": "place of death"}""",
            """{"relation": "place_of_birth", "template": "[X] was born in [Y] ."}""")
        .Write("mlama1.1/en/P19.jsonl",
            """{"sub_uri": "Q1", "obj_uri": "Q2", "obj_label": "Alexandra", "sub_label": "Allan Peiper", "lineid": 0, "uuid": "u1"}""",
            """{"sub_uri": "Q3", "obj_uri": "Q4", "obj_label": "Doncaster", "sub_label": "Anthony Barber", "lineid": 1, "uuid": "u2"}""")
        .Write("mlama1.1/en/P20.jsonl", """{"obj_label": "Paris", "sub_label": "Marie Curie", "uuid": "u3"}""")
        .Write("mlama1.1/en/P101.jsonl", """{"obj_label": "physics", "sub_label": "Marie Curie", "uuid": "u4"}""")
        .Write("mlama1.1/en/place_of_birth.jsonl", """{"obj_label": "Ulm", "sub_label": "Albert Einstein", "lineid": 0}""")
        .Write("mlama1.1/fr/templates.jsonl", """{"relation": "P19", "template": "[X] est né à [Y] ."}""")
        .Write("mlama1.1/fr/P19.jsonl",
            """{"obj_label": "Alexandra", "sub_label": "Allan Peiper", "uuid": "u1"}""",
            """{"obj_label": "Doncaster", "sub_label": "Anthony Barber", "uuid": "u2"}""");

    public void Dispose() => _b.Dispose();

    [Fact]
    public void ReadsPerLanguageTemplatesAndRelationFilesRelationByRelation()
    {
        var q = new QuarantineLog();
        var source = new MLamaLoader().Open(_b.Root, q);
        Assert.Equal(["en", "fr"], source.Languages.Select(l => l.Code));
        Assert.Equal([("en", "P19_1"), ("en", "P20_1"), ("en", "place_of_birth_1"), ("fr", "P19_1")],
            source.Templates.Select(t => (t.Language, t.TemplateId)));
        Assert.Equal(
            [("u1", "en"), ("u2", "en"), ("u1", "fr"), ("u2", "fr"), ("u3", "en"), ("place_of_birth/0", "en")],
            source.ReadFacts(q).Select(f => (f.FactId, f.Language)));
        var bad = Assert.Single(q.Records);
        Assert.Equal(("mlama1.1/en/P101.jsonl", 1, "no_templates", "u4"), (bad.Source, bad.Line, bad.Reason, bad.RecordId));
    }

    [Fact]
    public void IsDetectedFromTheParentFolderAndFromMlama11Itself()
    {
        Assert.Equal("mlama", BenchmarkLoaders.Detect(_b.Root).Format);
        Assert.Equal("mlama", BenchmarkLoaders.Detect(_b.PathOf("mlama1.1")).Format);
        var source = new MLamaLoader().Open(_b.PathOf("mlama1.1"), new QuarantineLog());
        Assert.Equal(6, source.ReadFacts(NullQuarantine.Instance).Count());
    }
}
