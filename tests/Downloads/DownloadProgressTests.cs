using KnPipeline.Stages.Downloads;
using Xunit;

namespace KnPipeline.Tests.Downloads;

public sealed class DownloadProgressTests
{
    [Fact]
    public void TerminalBarRedrawsOneLineWithBytesRateAndEta()
    {
        var output = new StringWriter();
        var progress = new DownloadProgress(output, interactive: true);
        progress.Expect(4_000_000);
        progress.Start("graphs_json/P17.jsonl");
        progress.Transferred(1_000_000);
        progress.Finish();

        string text = output.ToString();
        Assert.StartsWith("\r[", text);
        Assert.Contains("1.0/4.0 MB", text);
        Assert.Contains("MB/s", text);
        Assert.Contains("ETA", text);
        Assert.Contains("graphs_json/P17.jsonl", text);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void RedirectedOutputGetsPlainLinesOnlyAtTheInterval()
    {
        var output = new StringWriter();
        var progress = new DownloadProgress(output, interactive: false, lineInterval: TimeSpan.FromHours(1));
        progress.Expect(2_000_000);
        for (int i = 0; i < 100; i++) progress.Transferred(10_000);
        Assert.Equal("", output.ToString());

        progress.Finish();
        string line = Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("download: 1.0/2.0 MB (50%)", line);
        Assert.DoesNotContain('\r', line.TrimEnd('\r'));
    }
}
