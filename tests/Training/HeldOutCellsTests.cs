using System.Security.Cryptography;
using System.Text;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Training;
using Xunit;

namespace KnPipeline.Tests.Training;

/// <summary>
/// The language-held-out cells of the embedded benchmark (issue #13): how they are chosen, and that no line of the
/// training text states one.
/// </summary>
public sealed class HeldOutCellsTests
{
    private static readonly EmbeddedBenchmark Benchmark = EmbeddedBenchmark.Load(TrainingFixtures.BenchmarkDir);

    /// <summary>
    /// The data card's rule: per relation, the languages in the order of SHA-256("language-heldout:{relation}:{lang}")
    /// (hex), and the relation's i-th fact (file order) held out in the languages at positions 2i and 2i+1 of that
    /// order, cyclically: two of eight languages per fact, 7 or 8 facts per relation and language.
    /// </summary>
    [Fact]
    public void TheCellsFollowTheDataCardsSeededRule()
    {
        var codes = Benchmark.Languages.Select(l => l.Code).ToArray();
        foreach (var relation in Benchmark.Facts["en"].GroupBy(f => f.Relation))
        {
            var order = codes.OrderBy(c => Hex($"language-heldout:{relation.Key}:{c}"), StringComparer.Ordinal)
                .ToArray();
            int i = 0;
            foreach (var fact in relation)
            {
                var expected = new[] { order[2 * i % 8], order[(2 * i + 1) % 8] }.Order().ToArray();
                var actual = codes.Where(c => Benchmark.Facts[c].Single(f => f.FactId == fact.FactId).HeldoutLanguage)
                    .Order().ToArray();
                Assert.Equal(expected, actual);
                i++;
            }
            foreach (string c in codes)
                Assert.InRange(Benchmark.Facts[c].Count(f => f.Relation == relation.Key && f.HeldoutLanguage), 7, 8);
        }
        Assert.Equal(720, new HeldOutCells(Benchmark).Cells.Count);
    }

    [Theory]
    [InlineData(AlignmentText.Both)]
    [InlineData(AlignmentText.None)]
    public void NoTrainingLineStatesAHeldOutCell(AlignmentText alignment)
    {
        var corpus = TrainingCorpus.Build(Benchmark, 0.2, 1234, alignment);
        var cells = corpus.Cells;
        var bpe = new BpeTrainer().Train(corpus.TokenizerWordCounts());
        // The rows as the model reads them, decoded: what it was taught, whatever built it.
        var rows = corpus.Rows(bpe);
        foreach (var row in rows)
        {
            string text = bpe.Decode(row.Ids.Where(id => id != bpe.EndOfTextId).ToArray());
            var stated = cells.StatedIn(text);
            Assert.True(stated is null, $"training line '{text}' states held-out cell {stated}");
        }
        // By template: no statement in a held-out cell's language wording of its fact, whatever the names.
        foreach (var s in corpus.TrainStatements.Concat(corpus.Alignment.Switched))
            Assert.False(cells.StatedByTemplate(s.FactId, s.Language), $"{s.FactId} in {s.Language}: '{s.Text}'");
        Assert.Equal(corpus.TrainStatements.Count() + corpus.Filler.Count + corpus.Alignment.Switched.Count +
                     corpus.Alignment.Lists.Count, rows.Count);
        if (alignment == AlignmentText.None)
            Assert.Empty(corpus.Alignment.Switched);
        else
        {
            // Code-switched lines name some held-out cells' subjects in a trained language's wording: the link the
            // alignment text exists for.
            var heldSubjects = cells.Cells.Select(c => c.Subject).ToHashSet();
            Assert.Contains(corpus.Alignment.Switched, s => heldSubjects.Contains(s.Text[s.SubjectStart..s.SubjectEnd]));
            Assert.True(corpus.Alignment.Lists.Count > 400, $"{corpus.Alignment.Lists.Count} name lists");
        }
    }

    [Fact]
    public void ALineNamingBothHalvesOfAHeldOutCellStatesIt()
    {
        var cells = new HeldOutCells(Benchmark);
        var c = cells.Cells.First(x => x.Language == "de");
        Assert.Equal(c, cells.StatedIn($"{c.Object}, Rom, {c.Subject}."));
        Assert.Null(cells.StatedIn($"{c.Subject} ist schön."));
    }

    private static string Hex(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));
}
