using KnPipeline.Stages.Models.Hub;
using Xunit;

namespace KnPipeline.Tests.Models.Hub;

public sealed class HubModelReferenceTests
{
    [Fact]
    public void ParsesNameOrgNameAndRevision()
    {
        Assert.Equal(new HubModelReference("gpt2", "main"), HubModelReference.Parse("gpt2"));
        Assert.Equal(new HubModelReference("meta-llama/Llama-3.2-1B", "main"),
            HubModelReference.Parse("meta-llama/Llama-3.2-1B"));
        Assert.Equal(new HubModelReference("org/name", "refs/pr/1"), HubModelReference.Parse("org/name@refs/pr/1"));
    }

    [Fact]
    public void CacheFolderNameIsHuggingFaceHubs()
    {
        Assert.Equal("models--gpt2", HubModelReference.Parse("gpt2").CacheFolderName);
        Assert.Equal("models--google-bert--bert-base-uncased",
            HubModelReference.Parse("google-bert/bert-base-uncased@v1").CacheFolderName);
    }

    [Fact]
    public void InvalidIdsAreRejectedWithTheReason()
    {
        foreach (string bad in new[] { "", "a/b/c", "org/na--me", "-lead", "org/name@", "org/name@a b", "./local/dir" })
        {
            var e = Assert.Throws<FormatException>(() => HubModelReference.Parse(bad));
            Assert.Contains("is not a Hub model id", e.Message);
        }
    }

    [Fact]
    public void CommitRevisionIsRecognised()
    {
        Assert.True(HubModelReference.Parse("gpt2@607a30d783dfa663caf39e06633721c8d4cfcd7e").RevisionIsCommit);
        Assert.False(HubModelReference.Parse("gpt2@main").RevisionIsCommit);
    }
}
