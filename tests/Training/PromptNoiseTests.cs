using KnPipeline.Stages.Training;
using Xunit;

namespace KnPipeline.Tests.Training;

/// <summary>Prompt noise (replacement and leaving out) touches template tokens only, and keeps the object intact.</summary>
public class PromptNoiseTests
{
    private const int Vocab = 1000, Eos = 999;

    // "The capital of | France | is | Paris | ." : template tokens at 0-2 and 4, subject at 3, object at 5-6.
    private static TrainingRow Row() =>
        new("en", [10, 11, 12, 500, 13, 600, 601, 14, Eos], ObjectStart: 5, ObjectLength: 2)
        {
            TemplatePositions = [0, 1, 2, 4],
        };

    [Fact]
    public void ReplacementChangesOnlyTemplateTokens()
    {
        var random = new Random(7);
        int changed = 0;
        for (int i = 0; i < 500; i++)
        {
            var noised = EmbeddedTrainer.Noised([Row()], 0.5, 0.0, Vocab, Eos, random)[0];
            Assert.Equal(9, noised.Ids.Length);
            Assert.Equal([500], noised.Ids[3..4]);
            Assert.Equal([600, 601, 14, Eos], noised.Ids[5..]);
            Assert.DoesNotContain(Eos, noised.Ids[..5]);
            changed += new[] { 0, 1, 2, 4 }.Count(p => noised.Ids[p] != Row().Ids[p]);
        }
        Assert.InRange(changed / 2000.0, 0.45, 0.55);  // a replacement can draw the same token: 1 in 999
    }

    [Fact]
    public void LeavingOutEveryTemplateTokenKeepsSubjectObjectAndEnd()
    {
        var noised = EmbeddedTrainer.Noised([Row()], 0.0, 1.0, Vocab, Eos, new Random(1))[0];
        Assert.Equal([500, 600, 601, 14, Eos], noised.Ids);
        Assert.Equal(1, noised.ObjectStart);
        Assert.Equal(2, noised.ObjectLength);
    }

    [Fact]
    public void LeavingOutShiftsTheObjectByTheDroppedCount()
    {
        var random = new Random(3);
        int dropped = 0;
        for (int i = 0; i < 500; i++)
        {
            var noised = EmbeddedTrainer.Noised([Row()], 0.1, 0.2, Vocab, Eos, random)[0];
            int gone = 9 - noised.Ids.Length;
            Assert.Equal(5 - gone, noised.ObjectStart);
            Assert.Equal([600, 601, 14, Eos], noised.Ids[noised.ObjectStart..]);
            Assert.Single(noised.Ids[..noised.ObjectStart], t => t == 500);
            dropped += gone;
        }
        Assert.InRange(dropped / 2000.0, 0.17, 0.23);
    }

    [Fact]
    public void NoNoiseReturnsTheBatchItself()
    {
        var batch = new[] { Row() };
        Assert.Same(batch, EmbeddedTrainer.Noised(batch, 0.0, 0.0, Vocab, Eos, new Random(1)));
    }
}
