using KnPipeline.Stages.Options;
using Xunit;

namespace KnPipeline.Tests.Editing;

public class EditingOptionsTests
{
    [Fact]
    public void TheDefaultsAreTheIssuesValuesAndValidate()
    {
        var o = new EditingOptions();
        Assert.Empty(o.Validate());
        Assert.Equal((2, 1, 0.25), (o.FactsPerRelation, o.QueriesPerFact, o.DevShare));
        Assert.Equal((1.0, 8.0, 1.0, 1.0), (o.Lambda1, o.Lambda2, o.Beta1, o.Beta2));
        Assert.Equal([1.0, 2, 4, 8, 16], o.Lambda2Grid);
        Assert.Equal((0.2, 0, 50, 512), (o.SelectionThreshold, o.SelectionTopK, o.ProbeFacts, o.PplTokens));
        Assert.Equal((CasScore.Attribution, UntiedEmbedding.Input), (o.CasScore, o.UntiedEmbedding));
    }

    [Fact]
    public void EveryBadValueIsNamedByItsKey()
    {
        var o = new EditingOptions
        {
            DevShare = 1, Beta1 = 0, SelectionThreshold = -0.1, SelectionTopK = -1, Lambda2Grid = [4, -1],
            CasScore = (CasScore)7, PplTokens = 1,
        };
        var keys = o.Validate().Select(e => e.Key).ToList();
        Assert.Equal(["editing.beta1", "editing.cas_score", "editing.dev_share", "editing.lambda2_grid",
            "editing.ppl_tokens", "editing.selection_threshold", "editing.selection_top_k"], keys.Order());
        Assert.Contains(new EditingOptions { Lambda2Grid = [] }.Validate(), e => e.Key == "editing.lambda2_grid");
    }
}
