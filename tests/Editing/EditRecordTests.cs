using KnPipeline.Stages.Records;
using KnPipeline.Tests.Data.Support;
using KnPipeline.Tests.Localization;
using Xunit;

namespace KnPipeline.Tests.Editing;

public sealed class EditRecordTests : IDisposable
{
    private readonly TempBenchmark _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task EditsRoundTripWithTheirDerivedColumns()
    {
        EditRecord[] rows =
        [
            new("F1|en|P36-en-1", "F1", "P36", "en", "P36-en-1", "eval", "dai", "update", "cas", false, "consistent",
                0.5, 42, [1, 2], [3, 4], 1, 8, 1, 1, "attribution", 0.2, 0, 17, 1, 0.5, double.NaN, 0, 0.4, 0.9,
                12.5, 13.0, 0.6, 0.1, -2.6, true),
            new("F2|de|P36-de-2", "F2", "P36", "de", "P36-de-2", "dev", "dai", "suppress", "own", true,
                "inconsistent", 0.1, 42, [], [], 0, 0, 0, 0, "attribution", 0.2, 3, -1, double.NaN, double.NaN,
                double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0.5, 0.25, -1.1, false),
        ];
        string path = Path.Combine(_dir.Root, "edits.parquet");
        await using (var w = await PartWriter<EditRecord>.CreateAsync(path, EditRecordSchema.Instance,
                         new PartMetadata("hash-1", "gpt2: mlp.c_proj input")))
        {
            await w.WriteAsync(rows);
            await w.CompleteAsync();
        }
        var back = new List<EditRecord>();
        await foreach (var r in PartReader.ReadAsync(path, EditRecordSchema.Instance))
            back.Add(r);
        Assert.Equal(SyntheticAttributions.Dump(rows), SyntheticAttributions.Dump(back));
        Assert.Equal((2, -0.5, 0.5), (back[0].SetSize, back[1].Dprob, back[0].Dppl));
        Assert.Equal((1 + 0.4 + 0.9) / 3, back[0].Avg, 12);
        // A part that does not apply leaves Avg undefined rather than averaging what is there.
        Assert.True(double.IsNaN(back[1].Avg));
    }
}
