using System.Text.Json.Nodes;
using KnPipeline.Bench;
using KnPipeline.Export;
using KnPipeline.Runs;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Config;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Bench;

/// <summary>
/// <c>pipeline bench editing</c> at 1 and 3 facts: real <c>pipeline run</c>s in child processes that edit every
/// fact (about 5 s each). The memory figures depend on the machine's load, so only their sanity is checked; the
/// edits are exact.
/// </summary>
[Collection(ConfigConsoleCollection.Name)]
public class EditingBenchTests
{
    [Fact]
    public async Task EveryFactIsEditedAndTheFiguresArePositive()
    {
        string dir = Directory.CreateTempSubdirectory("kn-editing-bench-test-").FullName;
        try
        {
            var (code, stdout, err) = await CliRunner.RunCli("bench", "editing", "--facts", "1,3", "--dir", dir,
                "--json");
            Assert.True(code == 0, err);
            var o = JsonNode.Parse(stdout)!.AsObject();
            Assert.Equal([1L, 3L], o["facts"]!.AsArray().Select(x => x!.GetValue<long>()));
            var edits = o["edits"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
            Assert.True(edits[0] > 0, $"no edits written: {stdout}");
            // The three facts are of three relations and answered in one language each, like the single one, so
            // each is edited as that one is (no other object of its relation: no update).
            Assert.Equal(3 * edits[0], edits[1]);
            for (int i = 0; i < 2; i++)
            {
                var rss = o["rss_mb"]![i]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
                double peak = o["peak_mb"]![i]!.GetValue<double>(), graph = o["graph_peak_mb"]![i]!.GetValue<double>();
                Assert.Equal(3, rss.Length);
                // A .NET host with libtorch loaded is over 100 MB resident; a few GB would be a leak or a wrong unit.
                foreach (double r in rss.Append(graph))
                {
                    Assert.InRange(r, 100, 4000);
                    Assert.True(r <= peak + 0.1, $"resident {r} MB above the peak {peak} MB");
                }
                Assert.True(o["seconds"]![i]!.GetValue<double>() > 0);
            }
            double ratio = o["peak_ratio"]!.GetValue<double>();
            // The ratio is of the unrounded peaks, the peaks are printed to 0.1 MB: about 5e-4 apart at most.
            Assert.Equal(o["peak_mb"]![1]!.GetValue<double>() / o["peak_mb"]![0]!.GetValue<double>(), ratio, 0.002);

            // Every fact of the kept run folder has edits, all of the evaluation split (dev_share 0).
            var rows = new List<EditRecord>();
            await foreach (var r in TableReader.ReadAll(new RunFolder(Path.Combine(dir, "facts-3", "run")),
                               TableRegistry.Edits))
                rows.Add((EditRecord)r);
            Assert.Equal(edits[1], rows.Count);
            Assert.Equal(["syn-0", "syn-1", "syn-2"], rows.Select(r => r.FactId).Distinct().Order());
            Assert.All(rows, r => Assert.Equal("eval", r.Phase));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
