using KnPipeline.Stages.Records;
using Xunit;

namespace KnPipeline.Tests.Records;

public sealed class TemplateSplitsTests
{
    [Theory]
    [InlineData("train", "train", "train")]
    [InlineData("train", "heldout", "heldout")]
    [InlineData("heldout-language", "train", "heldout-language")]
    [InlineData("heldout-language", "heldout", "heldout-language")]
    public void AQueryOfALanguageHeldOutCellIsHeldOutByLanguageWhateverItsTemplate(string fact, string template,
        string query) => Assert.Equal(query, TemplateSplits.OfQuery(fact, template));

    [Fact]
    public void TemplatesAndFactsEachHaveTheirOwnTwoSplits()
    {
        Assert.Equal([true, true, false, false],
            new[] { "train", "heldout", "heldout-language", "Train" }.Select(TemplateSplits.IsTemplateSplit));
        Assert.Equal([true, false, true, false],
            new[] { "train", "heldout", "heldout-language", "heldout_language" }.Select(TemplateSplits.IsFactSplit));
    }
}
