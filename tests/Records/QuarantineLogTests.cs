using KnPipeline.Stages.Records;
using Xunit;

namespace KnPipeline.Tests.Records;

public sealed class QuarantineLogTests
{
    [Fact]
    public void CountsEveryRecordButKeepsOnlyUpToCapacity()
    {
        var log = new QuarantineLog(capacity: 2);
        for (int i = 1; i <= 5; i++)
            log.Add(new QuarantineRecord("facts/en.jsonl", i, $"f{i}", "data",
                i % 2 == 0 ? QuarantineReasons.EmptyObject : QuarantineReasons.MalformedJson, ""));
        Assert.Equal(5, log.Total);
        Assert.Equal(3, log.Dropped);
        Assert.Equal([1, 2], log.Records.Select(r => r.Line));
        Assert.Equal(3, log.Count(QuarantineReasons.MalformedJson));
        Assert.Equal(2, log.Count(QuarantineReasons.EmptyObject));
        Assert.Equal(["empty_object", "malformed_json"], log.CountsByReason().Keys);
    }

    [Fact]
    public void IsSafeUnderConcurrentWriters()
    {
        var log = new QuarantineLog(capacity: 100);
        Parallel.For(0, 10_000, i => log.Add(new QuarantineRecord("x", i, "", "tokenization", "r" + (i % 3), "")));
        Assert.Equal(10_000, log.Total);
        Assert.Equal(10_000, log.CountsByReason().Values.Sum());
        Assert.Equal(100, log.Records.Count);
    }
}
