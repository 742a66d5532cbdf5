using System.Text.Json;
using KnPipeline.Config;
using KnPipeline.Stages.Data;
using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.QueryExpansion;

/// <summary>
/// <c>data.split: heldout-language</c> on the embedded benchmark: the queries are exactly those of the cells its fact
/// files mark <c>heldout-language</c>, every subject-first template of each, counted here from the JSON lines
/// themselves rather than through the loader under test.
/// </summary>
public sealed class HeldoutLanguageExpansionTests
{
    private static readonly string Root = Path.Combine(SharedData.RepoRoot, "benchmarks-data", "embedded");

    private static IEnumerable<(string Language, JsonElement Record)> Lines(string folder) =>
        Directory.GetFiles(Path.Combine(Root, folder), "*.jsonl").Order(StringComparer.Ordinal).SelectMany(path =>
            File.ReadLines(path).Where(l => l.Trim().Length > 0)
                .Select(l => (Path.GetFileNameWithoutExtension(path), JsonDocument.Parse(l).RootElement)));

    private static string Str(JsonElement e, string field) => e.GetProperty(field).GetString()!;

    [Fact]
    public void TheSplitExpandsEverySubjectFirstTemplateOfTheLanguageHeldOutCellsAndNothingElse()
    {
        var subjectFirst = Lines("templates")
            .Where(t => Str(t.Record, "text").IndexOf("[X]", StringComparison.Ordinal) <
                        Str(t.Record, "text").IndexOf("[Y]", StringComparison.Ordinal))
            .ToLookup(t => (t.Language, Str(t.Record, "relation")), t => Str(t.Record, "template_id"));
        var cells = Lines("facts")
            .Where(f => f.Record.TryGetProperty("split", out var s) && s.GetString() == "heldout-language")
            .Select(f => (f.Language, Id: Str(f.Record, "fact_id"), Relation: Str(f.Record, "relation"))).ToList();
        var expected = cells.SelectMany(c => subjectFirst[(c.Language, c.Relation)]
            .Select(t => QueryRecord.MakeId(c.Id, c.Language, t))).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(702, cells.Count);   // two of eight languages per fact where eligible (the data card's rule)
        Assert.Equal(7_123, expected.Count);

        var config = ConfigLoader.Parse("data:\n  split: heldout-language\n  facts_per_relation: 0\n", "test.yaml");
        Assert.Equal(TemplateSplitFilter.HeldoutLanguage, config.Data.Split);
        var q = new QuarantineLog();
        var source = BenchmarkLoaders.ByFormat("rml-lama").Open(Root, q);
        var expander = new QueryExpander(new QueryExpansionOptions
        {
            Split = config.Data.Split, FactsPerRelation = config.Data.FactsPerRelation, ModelKind = ModelKind.Causal,
        });
        var queries = expander.Expand(source, q).ToList();
        Assert.Equal(0, q.Total);
        Assert.Equal(expected, queries.Select(x => x.QueryId).Order(StringComparer.Ordinal));
        Assert.All(queries, x => Assert.Equal("heldout-language", x.Split));
        Assert.Equal(702, expander.Facts);
        // Everything else is filtered by split (the 2,178 trained cells) or by order (the 702 cells' object-first
        // templates), and no trained cell reaches this split.
        Assert.Equal(2_178, expander.Skipped[QueryExpander.NoTemplatesInSplit]);
    }
}
