using KnPipeline.Stages.Editing;
using Xunit;

namespace KnPipeline.Tests.Editing;

public class NewObjectTests
{
    private static readonly ObjectCandidate[] Candidates =
    [
        new("Paris", 11), new("Pari", 11), new("Berlin", 12), new("Rome", 13), new("Madrid", 14), new("Oslo", 15),
    ];

    [Fact]
    public void TheNewObjectHasAnotherFirstTokenAndIsDeterministicForASeed()
    {
        var chosen = new HashSet<string>();
        for (int i = 0; i < 40; i++)
        {
            var pick = NewObject.Pick("Paris", 11, Candidates, seed: 7, $"edit-{i}")!;
            Assert.NotEqual(11, pick.FirstToken);
            // The same seed and id give the same object, whatever order the candidates come in.
            Assert.Equal(pick, NewObject.Pick("Paris", 11, Candidates.Reverse(), seed: 7, $"edit-{i}"));
            chosen.Add(pick.Object);
        }
        // Every eligible object is reachable; "Pari" shares Paris's first token and never is.
        Assert.Equal(["Berlin", "Madrid", "Oslo", "Rome"], chosen.Order(StringComparer.Ordinal));
        Assert.Contains(Enumerable.Range(0, 40), i => NewObject.Pick("Paris", 11, Candidates, 7, $"edit-{i}")
            != NewObject.Pick("Paris", 11, Candidates, 8, $"edit-{i}"));
    }

    [Fact]
    public void NoObjectWithAnotherFirstTokenGivesNone() =>
        Assert.Null(NewObject.Pick("Paris", 11, [new("Paris", 11), new("Pari", 11)], 7, "edit-0"));
}
