using KnPipeline.Stages.Records;
using Xunit;

namespace KnPipeline.Tests.Records;

public sealed class StableHashTests
{
    [Fact]
    public void MatchesThePublishedFnv1a64Vectors()
    {
        Assert.Equal(0xcbf29ce484222325UL, StableHash.Fnv1a64(""));
        Assert.Equal(0xaf63dc4c8601ec8cUL, StableHash.Fnv1a64("a"));
        Assert.Equal(0x85944171f73967e8UL, StableHash.Fnv1a64("foobar"));
    }

    [Fact]
    public void HashesUtf8BytesSoLongAndNonAsciiTextIsStable()
    {
        string longText = string.Concat(Enumerable.Repeat("ケーニヒスベルク😀", 40));
        Assert.Equal(StableHash.Fnv1a64(longText), StableHash.Fnv1a64(new string(longText.AsSpan())));
        // The emoji straddles the 64-char chunk boundary at some repetition; the hash must equal a one-shot encoding.
        ulong expected = 0xcbf29ce484222325UL;
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes(longText))
            expected = (expected ^ b) * 1099511628211UL;
        Assert.Equal(expected, StableHash.Fnv1a64(longText));
    }

    [Fact]
    public void TheMixedHashSpreadsKeysThatDifferOnlyAtTheEndOverItsHighBits()
    {
        var keys = Enumerable.Range(0, 2000).Select(i => $"P19-{i:D4}").ToList();
        double Top(Func<string, ulong> h) => keys.Average(k => (double)(h(k) >> 63));
        // About half the keys have the top bit set; the raw seeded hash is far from it for such keys.
        Assert.InRange(Top(k => StableHash.Mixed(1234, k)), 0.45, 0.55);
        Assert.NotEqual(StableHash.Seeded(1234, "x"), StableHash.Mixed(1234, "x"));
    }

    [Fact]
    public void PartsAreSeparatedAndSeedsChangeTheHash()
    {
        Assert.NotEqual(StableHash.Fnv1a64("ab", "c"), StableHash.Fnv1a64("a", "bc"));
        Assert.NotEqual(StableHash.Seeded(1, "f1"), StableHash.Seeded(2, "f1"));
        Assert.Equal(StableHash.Seeded(7, "f1"), StableHash.Seeded(7, "f1"));
    }
}
