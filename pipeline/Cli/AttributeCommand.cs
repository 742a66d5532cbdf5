using System.CommandLine;
using System.Text.Json;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Models;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline attribute --model &lt;dir&gt; (--prompt "…" --target "…" | --input-ids 1,2,3 [--token-type-ids …] --target-id N)
/// [--steps m] [--rule …] [--objective …] [--layers …] [--algorithm fast|naive] [--json]</c>: integrated gradients of
/// one query, for debugging a single fact.
/// </summary>
public static class AttributeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder or Hugging Face id[@revision]", Required = true };
        var input = new ModelInputOptions();
        var target = new Option<string?>("--target") { Description = "Gold object text (its first token is the target)" };
        var targetId = new Option<int?>("--target-id") { Description = "Target token id (with --input-ids)" };
        var noSpace = new Option<bool>("--no-space-before") { Description = "The object follows the prompt without a space (zh, ja)" };
        var steps = new Option<int>("--steps") { Description = "Integration steps m", DefaultValueFactory = _ => 20 };
        var rule = new Option<string>("--rule") { Description = "left|right|trapezoid|gauss-legendre", DefaultValueFactory = _ => "right" };
        var objective = new Option<string>("--objective") { Description = "prob|logprob", DefaultValueFactory = _ => "prob" };
        var layers = new Option<string?>("--layers") { Description = "Comma-separated layers (default: all)" };
        var algorithm = new Option<string>("--algorithm") { Description = "fast|naive", DefaultValueFactory = _ => "fast" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the full vectors" };
        var cmd = new Command("attribute", "Integrated gradients of one query over every FFN neuron")
            { model, target, targetId, noSpace, steps, rule, objective, layers, algorithm, json };
        input.AddTo(cmd);
        rule.AcceptOnlyFromAmong(IgRule.Names);
        objective.AcceptOnlyFromAmong("prob", "logprob");
        algorithm.AcceptOnlyFromAmong("fast", "naive");
        cmd.SetAction(pr =>
        {
            var m = LoadedModel.Open(pr.GetValue(model)!);
            var (ids, types) = input.Resolve(pr, m);
            string? text = pr.GetValue(target);
            int? tid = pr.GetValue(targetId);
            if ((text is null) == (tid is null))
                throw new UsageException("give exactly one of --target and --target-id");
            int targetToken;
            if (text is not null)
            {
                if (m.Tokenizer is null)
                    throw new UsageException($"{m.Location.LocalDir} has no tokenizer files: use --target-id");
                var t = m.Tokenizer.TargetIds(text, !pr.GetValue(noSpace));
                targetToken = t.Length > 0 ? t[0] : throw new UsageException($"--target '{text}' tokenizes to nothing");
            }
            else
                targetToken = tid!.Value;
            int position = m.PredictionPosition(ids);
            int s = pr.GetValue(steps);
            if (s < 1 || (pr.GetValue(rule) == "trapezoid" && s < 2))
                throw new UsageException("--steps must be at least 1 (2 for the trapezoid rule)");
            var settings = new AttributionSettings
            {
                Steps = s, Rule = pr.GetValue(rule)!, Objective = pr.GetValue(objective)!, Algorithm = pr.GetValue(algorithm)!,
                Layers = pr.GetValue(layers) is { } ls ? ModelInputOptions.ParseIds(ls, "--layers") : null,
            };
            using var engine = new IntegratedGradients(m.Model, settings, m.PadId);
            var r = engine.Run([new AttributionQuery("cli", ids, types, position, [position], [targetToken])])[0];
            if (pr.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["f_a"] = r.FA, ["target_id"] = targetToken, ["target_prob"] = r.TargetProb, ["target_rank"] = r.TargetRank,
                    ["prediction_position"] = position, ["objective"] = settings.Objective, ["rule"] = settings.Rule,
                    ["steps"] = settings.Steps, ["algorithm"] = settings.Algorithm, ["non_finite"] = r.NonFinite,
                    ["layers"] = r.Layers.Select(l => new Dictionary<string, object>
                    {
                        ["layer"] = l.Layer, ["f_baseline"] = l.FBaseline, ["sum"] = l.Sum, ["gap"] = l.Gap, ["attributions"] = l.Attributions,
                    }).ToList(),
                }));
                return 0;
            }
            Console.WriteLine($"F(a) = {r.FA:G6} ({settings.Objective}); target id {targetToken}" +
                              $"{(m.Tokenizer is null ? "" : $" '{m.Tokenizer.Decode([targetToken])}'")}: p = {r.TargetProb:G4}, rank {r.TargetRank}");
            Console.WriteLine($"{"layer",5} {"F(baseline)",12} {"sum",12} {"gap",12}  top neurons (unit: score)");
            foreach (var l in r.Layers)
            {
                var top = l.Attributions.Select((v, i) => (v, i)).OrderByDescending(x => x.v).Take(5).Select(x => $"{x.i}: {x.v:G3}");
                Console.WriteLine($"{l.Layer,5} {l.FBaseline,12:G5} {l.Sum,12:G5} {l.Gap,12:G4}  {string.Join(", ", top)}");
            }
            return 0;
        });
        return cmd;
    }
}
