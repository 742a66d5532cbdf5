using System.Text.Json.Nodes;
using KnPipeline.Stages.Models;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace KnPipeline.Tests.Models;

/// <summary>Forward-pass parity with the independent float64 goldens in ../shared (tolerances from their READMEs).</summary>
[Collection("Torch")]
public class GoldenForwardTests
{
    [SharedFact("reference/tiny-gpt2/golden.json")]
    public void TinyGpt2MatchesGolden() => CheckGolden("reference/tiny-gpt2");

    [SharedFact("reference/tiny-bert/golden.json")]
    public void TinyBertMatchesGolden() => CheckGolden("reference/tiny-bert");

    [SharedFact("reference/tiny-llama/golden.json")]
    public void TinyLlamaMatchesGolden() => CheckGolden("reference/tiny-llama");

    [SharedFact("models/stories260K/golden_ig.json")]
    public void Stories260KMatchesGoldenActivationsAndInterventions() => CheckGolden("models/stories260K", "golden_ig.json");

    [SharedFact("models/stories260K/reference_logits.json")]
    public void Stories260KLogitsAndGreedyDecodingMatchReference()
    {
        using var scope = NewDisposeScope();
        var model = ModelLoader.Load(SharedData.Path("models/stories260K"));
        var reference = Json.Load(SharedData.Path("models/stories260K/reference_logits.json"));
        var ids = Json.Longs(reference["input_ids"]);
        using (no_grad())
        {
            var inputs = new ForwardInputs { InputIds = tensor(ids).unsqueeze(0) };
            var logits = model.Logits(inputs);
            Json.Close(Json.Floats(reference["last_position_logits"]), logits[0, -1].data<float>().ToArray(), 1e-4, "last logits");
            var top5 = Json.Load(SharedData.Path("models/stories260K/reference_logits.json"))["top5_per_position"]!.AsArray();
            for (int p = 0; p < ids.Length; p++)
                Assert.Equal(Json.Longs(top5[p]), logits[0, p].topk(5).indexes.data<long>().ToArray());

            var seq = new List<long> { 1 };
            for (int i = 0; i < 40; i++)
            {
                var l = model.Logits(new ForwardInputs { InputIds = tensor(seq.ToArray()).unsqueeze(0) });
                seq.Add(l[0, -1].argmax().item<long>());
            }
            Assert.Equal(Json.Longs(reference["greedy_from_bos_40"]), seq.Skip(1).ToArray());
        }
    }

    private static void CheckGolden(string folder, string file = "golden.json")
    {
        using var scope = NewDisposeScope();
        var model = ModelLoader.Load(SharedData.Path(folder));
        var golden = Json.Load(SharedData.Path(folder, file));
        using var _ = no_grad();
        foreach (var p in golden["prompts"]!.AsArray())
        {
            string name = p!["name"]!.GetValue<string>();
            var ids = Json.Longs(p["input_ids"]);
            int pos = p["target_position"]!.GetValue<int>();
            int target = p["target_id"]!.GetValue<int>();
            var inputs = new ForwardInputs
            {
                InputIds = tensor(ids).unsqueeze(0),
                TokenTypeIds = p["token_type_ids"] is JsonArray tt ? tensor(Json.Longs(tt)).unsqueeze(0) : null,
            };
            var capture = new ActivationCapture(tensor(new long[] { pos }));
            var all = model.Logits(inputs, interceptor: capture);
            var logits = all[0, pos];
            Json.Close(Json.Floats(p["logits_at_target"]), logits.data<float>().ToArray(), 1e-4, $"{folder} {name} logits");
            var top5 = p["top5_per_position"]!.AsArray();
            for (int t = 0; t < ids.Length; t++)
                Assert.Equal(Json.Longs(top5[t]), all[0, t].topk(5).indexes.data<long>().ToArray());
            var logp = logits.log_softmax(-1);
            Json.Close(Json.D(p["target_prob"]), logp[target].exp().item<float>(), 2e-5, $"{name} target_prob");
            Json.Close(Json.D(p["target_logprob"]), logp[target].item<float>(), 1e-4, $"{name} target_logprob");
            Assert.Equal(p["target_rank"]!.GetValue<int>(), (int)logits.gt(logits[target]).sum().item<long>());
            var acts = p["activations_at_target"]!.AsArray();
            for (int l = 0; l < model.NumLayers; l++)
            {
                var want = Json.Floats(acts[l]);
                double tol = 1e-4 * Math.Max(1, want.Max(Math.Abs));
                Json.Close(want, capture.Activations[l][0].data<float>().ToArray(), tol, $"{name} activations layer {l}");
            }
            if (p["interventions"] is JsonArray interventions)
            {
                foreach (var iv in interventions)
                {
                    int layer = iv!["layer"]!.GetValue<int>();
                    float alpha = iv["alpha"]!.GetValue<float>();
                    var scaled = model.Logits(inputs, tensor(new long[] { pos }),
                        new ActivationScale(layer, tensor(new long[] { pos }), tensor(new[] { alpha })))[0];
                    Json.Close(Json.Floats(iv["logits_at_target"]), scaled.data<float>().ToArray(), 1e-4, $"{name} intervention α={alpha}");
                    Json.Close(Json.D(iv["target_prob"]), scaled.softmax(-1)[target].item<float>(), 2e-5, $"{name} intervention prob α={alpha}");
                }
            }
        }
        if (golden["batches"] is not JsonArray batches)
            return;
        foreach (var b in batches)
        {
            var rows = b!["rows"]!.AsArray();
            long[][] Field(string f) => rows.Select(r => Json.Longs(r![f])).ToArray();
            var ids = Field("input_ids");
            var inputs = new ForwardInputs
            {
                InputIds = tensor(ids.SelectMany(x => x).ToArray(), [ids.Length, ids[0].Length]),
                AttentionMask = tensor(Field("attention_mask").SelectMany(x => x).ToArray(), [ids.Length, ids[0].Length]),
                PositionIds = tensor(Field("position_ids").SelectMany(x => x).ToArray(), [ids.Length, ids[0].Length]),
                TokenTypeIds = rows[0]!["token_type_ids"] is null ? null
                    : tensor(Field("token_type_ids").SelectMany(x => x).ToArray(), [ids.Length, ids[0].Length]),
            };
            var all = model.Logits(inputs);
            for (int r = 0; r < rows.Count; r++)
            {
                int pos = rows[r]!["target_position"]!.GetValue<int>();
                Json.Close(Json.Floats(rows[r]!["logits_at_target"]), all[r, pos].data<float>().ToArray(), 1e-4,
                           $"{folder} {b["name"]} row {r}");
                var top5 = rows[r]!["top5_per_position"]!.AsArray();
                for (int t = 0; t < ids[r].Length; t++)
                    if (top5[t] is JsonArray want)
                        Assert.Equal(Json.Longs(want), all[r, t].topk(5).indexes.data<long>().ToArray());
            }
        }
    }
}
