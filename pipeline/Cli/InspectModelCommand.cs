using System.CommandLine;
using System.Text.Json;
using KnPipeline.Stages.Models;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline inspect-model &lt;dir|hub-id&gt; [--prompt "…" | --input-ids 1,2,3 [--token-type-ids …]] [--top K]
/// [--json]</c>:
/// the architecture facts and the top-K next tokens (or [MASK] fillers) of one input.
/// </summary>
public static class InspectModelCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Model folder or Hugging Face id[@revision]" };
        var input = new ModelInputOptions();
        var top = new Option<int>("--top")
            { Description = "How many top tokens to list", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var cmd = new Command("inspect-model", "Show a model's architecture and its top next tokens for an input")
            { model, top, json };
        input.AddTo(cmd);
        cmd.SetAction(pr =>
        {
            var m = LoadedModel.Open(pr.GetValue(model)!);
            int k = pr.GetValue(top);
            if (k < 1)
                throw new UsageException("--top must be at least 1");
            int[] ids = [];
            int[]? types = null;
            bool hasInput = pr.GetValue(input.Prompt) is not null || pr.GetValue(input.InputIds) is not null;
            var topList = new List<Dictionary<string, object?>>();
            int position = -1;
            if (hasInput)
            {
                (ids, types) = input.Resolve(pr, m);
                position = m.PredictionPosition(ids);
                foreach (var (id, logit) in m.TopTokens(ids, types, position, k))
                    topList.Add(new() { ["id"] = id, ["token"] = m.Tokenizer?.IdToToken(id), ["logit"] = logit });
            }
            if (pr.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["family"] = m.Model.Family, ["model_type"] = m.Model.Config.ModelType,
                    ["parameters"] = m.ParameterCount,
                    ["layers"] = m.Model.NumLayers, ["ffn_width"] = m.Model.FfnWidth,
                    ["hidden_size"] = m.Model.HiddenSize,
                    ["vocab_size"] = m.Model.VocabSize, ["neuron_definition"] = m.Model.NeuronDefinition,
                    ["tokenizer"] = m.Tokenizer?.Kind, ["input_ids"] = ids, ["token_type_ids"] = types,
                    ["prediction_position"] = hasInput ? position : null, ["top"] = topList,
                }));
                return 0;
            }
            Console.WriteLine($"model        {m.Location.LocalDir}" +
                $"{(m.Location.RepoId is null ? "" : $" ({m.Location.RepoId}@{m.Location.Commit})")}");
            Console.WriteLine(
                $"family       {m.Model.Family} ({m.Model.Config.ModelType}), {m.ParameterCount:N0} parameters");
            Console.WriteLine($"layers       {m.Model.NumLayers}, hidden {m.Model.HiddenSize}, " +
                $"FFN width {m.Model.FfnWidth}, vocabulary {m.Model.VocabSize}");
            Console.WriteLine($"neuron       {m.Model.NeuronDefinition}");
            Console.WriteLine($"tokenizer    {m.Tokenizer?.Kind ?? "none (use --input-ids)"}");
            if (hasInput)
            {
                Console.WriteLine($"input ids    {string.Join(",", ids)}" +
                    $"{(types is null ? "" : $"  (segments {string.Join(",", types)})")}");
                Console.WriteLine($"top {topList.Count} at position {position} " +
                    $"({(m.Model.IsCausal ? "last token" : "first [MASK]")}):");
                foreach (var t in topList)
                    Console.WriteLine(
                        $"  {t["id"],8}  {t["logit"],10:F4}  {Show(t["token"] as string, m, (int)t["id"]!)}");
            }
            return 0;
        });
        return cmd;
    }

    private static string Show(string? token, LoadedModel m, int id) =>
        token is null ? "" : $"{token}   \"{m.Tokenizer!.Decode([id])}\"";
}
