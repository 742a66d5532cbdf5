using System.Text.Json.Nodes;
using KnPipeline.Cli;
using KnPipeline.Tests.Config;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Cli;

/// <summary><c>inspect-model</c> and <c>attribute</c> through the CLI, with their --json contracts.</summary>
[Collection(ConfigConsoleCollection.Name)]
public class ModelCommandsTests
{
    private static async Task<(int Code, string Out, string Error)> Run(params string[] args)
    {
        using var console = new ConsoleCapture();
        int code = await CliApp.RunAsync(args);
        return (code, console.Out, console.Error);
    }

    [SharedFact("models/stories260K/config.json")]
    public async Task InspectModelTokenizesThePromptAndListsTheGreedyToken()
    {
        var (code, stdout, stderr) = await Run("inspect-model", SharedData.Path("models/stories260K"),
            "--prompt", "Once upon a time, there was a little gir", "--top", "3", "--json");
        Assert.True(code == 0, stderr);
        var j = JsonNode.Parse(stdout)!;
        Assert.Equal("llama", j["family"]!.GetValue<string>());
        Assert.Equal(5, j["layers"]!.GetValue<int>());
        Assert.Equal(172, j["ffn_width"]!.GetValue<int>());
        Assert.Equal([1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315], Json.Ints(j["input_ids"]));
        var top = j["top"]!.AsArray();
        Assert.Equal(3, top.Count);
        Assert.Equal(421, top[0]!["id"]!.GetValue<int>());
        Assert.Equal("l", top[0]!["token"]!.GetValue<string>());
        var want = Json.Floats(
            Json.Load(SharedData.Path("models/stories260K/reference_logits.json"))["last_position_logits"]);
        Json.Close(want[421], top[0]!["logit"]!.GetValue<float>(), 1e-4, "logit of 421");
    }

    [SharedFact("reference/tiny-bert/golden.json")]
    public async Task InspectModelUsesVerbatimIdsAndPairSegmentsForBert()
    {
        var golden = Json.Load(SharedData.Path("reference/tiny-bert/golden.json"));
        var p1 = golden["prompts"]![1]!;
        var ids = string.Join(",", Json.Ints(p1["input_ids"]));
        var (code, stdout, stderr) = await Run("inspect-model", SharedData.Path("reference/tiny-bert"),
            "--input-ids", ids, "--top", "5", "--json");
        Assert.True(code == 0, stderr);
        var j = JsonNode.Parse(stdout)!;
        // Segment ids 0 up to and including the first [SEP], 1 after it: the golden's own token_type_ids.
        Assert.Equal(Json.Ints(p1["token_type_ids"]), Json.Ints(j["token_type_ids"]));
        Assert.Equal(p1["mask_positions"]![0]!.GetValue<int>(), j["prediction_position"]!.GetValue<int>());
        var pos = p1["target_position"]!.GetValue<int>();
        Assert.Equal(Json.Ints(p1["top5_per_position"]![pos]),
            j["top"]!.AsArray().Select(t => t!["id"]!.GetValue<int>()).ToArray());
    }

    [SharedFact("reference/tiny-gpt2/golden.json")]
    public async Task AttributeJsonEqualsTheGoldenForEveryAlgorithm()
    {
        var golden = Json.Load(SharedData.Path("reference/tiny-gpt2/golden.json"));
        var p0 = golden["prompts"]![0]!;
        var ig = p0["ig"]![1]!; // logprob, trapezoid
        foreach (var algorithm in new[] { "fast", "naive" })
        {
            var (code, stdout, stderr) = await Run("attribute", "--model", SharedData.Path("reference/tiny-gpt2"),
                "--input-ids", string.Join(",", Json.Ints(p0["input_ids"])),
                "--target-id", p0["target_id"]!.ToJsonString(),
                "--steps", "8", "--rule", ig["rule"]!.GetValue<string>(),
                "--objective", ig["objective"]!.GetValue<string>(),
                "--algorithm", algorithm, "--json");
            Assert.True(code == 0, stderr);
            var j = JsonNode.Parse(stdout)!;
            Json.Close(Json.D(ig["f_a"]), Json.D(j["f_a"]), 1e-4, "f_a");
            var layers = j["layers"]!.AsArray();
            Assert.Equal(3, layers.Count);
            for (int l = 0; l < 3; l++)
            {
                var want = Json.Floats(ig["layers"]![l]!["attributions"]);
                Json.Close(want, Json.Floats(layers[l]!["attributions"]), 1e-4 * want.Max(Math.Abs) + 1e-6,
                    $"{algorithm} layer {l}");
                Json.Close(Json.D(ig["layers"]![l]!["f_baseline"]), Json.D(layers[l]!["f_baseline"]), 1e-4,
                    "f_baseline");
                Json.Close(Json.D(ig["layers"]![l]!["gap"]), Json.D(layers[l]!["gap"]), 1e-3, "gap");
            }
        }
    }

    [Fact]
    public async Task BadModelAndBadArgumentsExitWithTwoAndNoStackTrace()
    {
        var (code, _, stderr) = await Run("inspect-model", "/no/such/folder");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.DoesNotContain("   at ", stderr);
        (code, _, stderr) = await Run("attribute", "--model", "/no/such/folder", "--input-ids", "1",
            "--target-id", "1", "--rule", "middle");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("middle", stderr);
    }
}
