using System.Text.Json.Nodes;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Models;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Attribution;

/// <summary>Integrated gradients against the float64 goldens, for every family, rule and objective they
/// contain.</summary>
[Collection("Torch")]
public class GoldenAttributionTests
{
    [SharedFact("reference/tiny-gpt2/golden.json")]
    public void TinyGpt2FastAndNaiveMatchGolden() => Check("reference/tiny-gpt2", "golden.json");

    [SharedFact("reference/tiny-bert/golden.json")]
    public void TinyBertFastAndNaiveMatchGolden() => Check("reference/tiny-bert", "golden.json");

    [SharedFact("reference/tiny-llama/golden.json")]
    public void TinyLlamaFastAndNaiveMatchGolden() => Check("reference/tiny-llama", "golden.json");

    [SharedFact("models/stories260K/golden_ig.json")]
    public void Stories260KFastAndNaiveMatchGolden() => Check("models/stories260K", "golden_ig.json");

    private static AttributionQuery Query(JsonNode p, string id)
    {
        int pos = p["target_position"]!.GetValue<int>();
        return new AttributionQuery(id, Json.Ints(p["input_ids"]),
            p["token_type_ids"] is JsonArray tt ? Json.Ints(tt) : null, pos, [pos], [p["target_id"]!.GetValue<int>()]);
    }

    private static void Check(string folder, string file)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var model = ModelLoader.Load(SharedData.Path(folder));
        var golden = Json.Load(SharedData.Path(folder, file));
        var prompts = golden["prompts"]!.AsArray();
        foreach (var algorithm in new[] { "fast", "naive" })
        {
            foreach (var p in prompts)
            {
                foreach (var ig in p!["ig"]!.AsArray())
                {
                    var settings = Settings(ig!, algorithm);
                    using var engine = new IntegratedGradients(model, settings);
                    Json.Close(Json.Floats(ig!["alphas"]), engine.Alphas.Select(x => (float)x).ToArray(), 1e-6,
                        "alphas");
                    Json.Close(Json.Floats(ig["weights"]), engine.Weights.Select(x => (float)x).ToArray(), 1e-6,
                        "weights");
                    var result = engine.Run([Query(p, p["name"]!.GetValue<string>())])[0];
                    string how = $"{OptionNames.Of(settings.Objective)}/{OptionNames.Of(settings.Rule)}";
                    Compare(ig, result, $"{folder} {p["name"]} {how} {algorithm}");
                }
            }
            // A padded batch: every prompt at once (right padding inside the engine) must equal each prompt alone.
            var first = prompts.Select(p => p!["ig"]!.AsArray().First(r =>
                r!["objective"]!.GetValue<string>() == "prob" &&
                r["rule"]!.GetValue<string>() == "right")).ToList();
            if (algorithm == "fast" && prompts.Count > 1)
            {
                using var engine = new IntegratedGradients(model, Settings(first[0]!, "fast"));
                var batch = engine.Run(prompts.Select(p => Query(p!, p!["name"]!.GetValue<string>())).ToList());
                for (int i = 0; i < prompts.Count; i++)
                    Compare(first[i]!, batch[i], $"{folder} batched {prompts[i]!["name"]}");
            }
        }
    }

    private static AttributionOptions Settings(JsonNode ig, string algorithm) => new()
    {
        Objective = Parse<AttributionObjective>(ig["objective"]!.GetValue<string>()),
        Rule = Parse<IntegrationRule>(ig["rule"]!.GetValue<string>()),
        Steps = ig["steps"]!.GetValue<int>(),
        Algorithm = Parse<AttributionAlgorithm>(algorithm),
    };

    // The goldens spell settings as pipeline.yaml does.
    private static T Parse<T>(string yamlName) where T : struct, Enum =>
        OptionNames.TryParse(typeof(T), yamlName, out var v)
            ? (T)v!
            : throw new ArgumentException($"unknown {typeof(T).Name} '{yamlName}'");

    private static void Compare(JsonNode ig, QueryAttribution got, string what)
    {
        bool prob = ig["objective"]!.GetValue<string>() == "prob";
        double fTol = prob ? 2e-5 : 1e-4;
        Json.Close(Json.D(ig["f_a"]), got.FA, fTol, $"{what} f_a");
        var layers = ig["layers"]!.AsArray();
        Assert.Equal(layers.Count, got.Layers.Count);
        foreach (var l in layers)
        {
            int layer = l!["layer"]!.GetValue<int>();
            var g = got.Layers.Single(x => x.Layer == layer);
            var want = Json.Floats(l["attributions"]);
            double maxRef = want.Max(Math.Abs), sumAbs = want.Sum(x => Math.Abs((double)x));
            Json.Close(want, g.Attributions, 1e-4 * maxRef + 1e-6, $"{what} layer {layer} attributions");
            double sumTol = 1e-4 * sumAbs + 1e-6;
            Json.Close(Json.D(l["sum"]), g.Sum, sumTol, $"{what} layer {layer} sum");
            Json.Close(Json.D(l["f_baseline"]), g.FBaseline, fTol, $"{what} layer {layer} f_baseline");
            Json.Close(Json.D(l["f_a_minus_f_baseline"]), got.FA - g.FBaseline, 2 * fTol,
                $"{what} layer {layer} F(a)-F(b)");
            Json.Close(Json.D(l["gap"]), g.Gap, sumTol + 2 * fTol, $"{what} layer {layer} gap");
        }
    }
}
