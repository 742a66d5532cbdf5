using KnPipeline.Stages.Downloads;
using Xunit;

namespace KnPipeline.Tests.Downloads;

public sealed class UrlMirrorTests
{
    private const string Raw = "https://raw.githubusercontent.com/yanaiela/pararel/cb55/data/trex_lms_vocab/P17.jsonl";

    [Fact]
    public void MirrorReplacesSchemeHostAndPortKeepingThePath() =>
        Assert.Equal("http://127.0.0.1:8080/yanaiela/pararel/cb55/data/trex_lms_vocab/P17.jsonl",
            UrlMirror.Apply(Raw, "http://127.0.0.1:8080").ToString());

    [Fact]
    public void MirrorPathPrefixIsKept() =>
        Assert.Equal("https://mirror.example/gh/yanaiela/pararel/cb55/data/trex_lms_vocab/P17.jsonl?x=1",
            UrlMirror.Apply(Raw + "?x=1", "https://mirror.example/gh/").ToString());

    [Fact]
    public void WithoutMirrorTheUrlIsUnchanged() => Assert.Equal(Raw, UrlMirror.Apply(Raw, null).ToString());

    [Fact]
    public void NonHttpMirrorIsRejected() => Assert.NotNull(UrlMirror.Validate("ftp://x/"));
}
