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
    /// (hex); the relation's i-th fact (file order) is held out in the first two languages, going round that order from
    /// position 2i, whose cell is eligible: no training statement of any other cell names both its subject and its
    /// object (so no trained statement is ever withheld for stating it).
    /// </summary>
    [Fact]
    public void TheCellsFollowTheDataCardsSeededRule()
    {
        var codes = Benchmark.Languages.Select(l => l.Code).ToArray();
        var texts = Benchmark.Languages.SelectMany(l => Benchmark.Facts[l.Code].SelectMany(f =>
            Benchmark.Templates[l.Code].Where(t => t.IsTrain && t.Relation == f.Relation)
                .Select(t => (f.FactId, Lang: l.Code, FactStatement.Create(l, f, t).Text)))).ToList();
        bool Eligible(string factId, string lang)
        {
            var f = Benchmark.Facts[lang].Single(x => x.FactId == factId);
            return !texts.Any(t => (t.FactId != factId || t.Lang != lang) &&
                                   t.Text.Contains(f.Subject, StringComparison.Ordinal) &&
                                   t.Text.Contains(f.Object, StringComparison.Ordinal));
        }
        foreach (var relation in Benchmark.Facts["en"].GroupBy(f => f.Relation))
        {
            var order = codes.OrderBy(c => Hex($"language-heldout:{relation.Key}:{c}"), StringComparer.Ordinal)
                .ToArray();
            int i = 0;
            foreach (var fact in relation)
            {
                var expected = Enumerable.Range(0, 8).Select(k => order[(2 * i + k) % 8])
                    .Where(c => Eligible(fact.FactId, c)).Take(2).Order().ToArray();
                var actual = codes.Where(c => Benchmark.Facts[c].Single(f => f.FactId == fact.FactId).HeldoutLanguage)
                    .Order().ToArray();
                Assert.Equal(expected, actual);
                i++;
            }
        }
        Assert.Equal(702, new HeldOutCells(Benchmark).Cells.Count);
    }

    [Theory]
    [InlineData(AlignmentText.Both)]
    [InlineData(AlignmentText.None)]
    public void NoTrainingLineStatesAHeldOutCell(AlignmentText alignment)
    {
        var corpus = TrainingCorpus.Build(Benchmark, 0.2, 1234, alignment, codeSwitchRate: 0.25);
        var cells = corpus.Cells;
        Assert.Equal(0, corpus.Withheld); // the data's rule chose only cells no trained statement names
        var bpe = new BpeTrainer().Train(corpus.TokenizerWordCounts());
        // The rows as the model reads them (every code-switched variant too), decoded: what it can be taught.
        var rows = corpus.Rows(bpe);
        var all = rows.Concat(rows.SelectMany(r => r.Variants)).ToList();
        foreach (var row in all)
        {
            string text = bpe.Decode(row.Ids.Where(id => id != bpe.EndOfTextId).ToArray());
            var stated = cells.StatedIn(text);
            Assert.True(stated is null, $"training line '{text}' states held-out cell {stated}");
        }
        // By template: no statement in a held-out cell's language wording of its fact, whatever the names.
        var variants = corpus.Alignment.Variants.Values.SelectMany(v => v).ToList();
        foreach (var s in corpus.TrainStatements.Concat(corpus.Alignment.Switched).Concat(variants))
            Assert.False(cells.StatedByTemplate(s.FactId, s.Language), $"{s.FactId} in {s.Language}: '{s.Text}'");
        Assert.Equal(corpus.TrainStatements.Count() + corpus.Alignment.Switched.Count + corpus.Filler.Count +
                     corpus.Alignment.Lists.Count, rows.Count);
        if (alignment == AlignmentText.None)
        {
            Assert.Empty(variants);
            Assert.Empty(corpus.Alignment.Switched);
        }
        else
        {
            // Variants name held-out cells' subjects in a trained language's wording: the link the alignment text
            // exists for.
            var heldSubjects = cells.Cells.Select(c => c.Subject).ToHashSet();
            Assert.Contains(variants, s => heldSubjects.Contains(s.Text[s.SubjectStart..s.SubjectEnd]));
            Assert.Contains(corpus.Alignment.Switched,
                s => heldSubjects.Contains(s.Text[s.SubjectStart..s.SubjectEnd]));
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
