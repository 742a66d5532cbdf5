using System.CommandLine;
using System.Text.Json;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Models;
using KnPipeline.Stages.Options;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline attribute --model &lt;dir&gt; (--prompt "…" --target "…" | --input-ids 1,2,3 [--token-type-ids …]
/// --target-id N)
/// [--steps m] [--rule …] [--tolerance t] [--max-steps n] [--objective …] [--layers …] [--algorithm fast|naive]
/// [--json]</c>: integrated gradients of one query, for debugging a single fact. Rule, objective and algorithm take
/// the YAML spellings of the same enums the config binds.
/// </summary>
public static class AttributeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
            { Description = "Model folder or Hugging Face id[@revision]", Required = true };
        var input = new ModelInputOptions();
        var target = new Option<string?>("--target")
            { Description = "Gold object text (its first token is the target)" };
        var targetId = new Option<int?>("--target-id") { Description = "Target token id (with --input-ids)" };
        var noSpace = new Option<bool>("--no-space-before")
            { Description = "The object follows the prompt without a space (zh, ja)" };
        var steps = new Option<int>("--steps") { Description = "Integration steps m", DefaultValueFactory = _ => 20 };
        var rule = EnumOption<IntegrationRule>("--rule", IntegrationRule.Right);
        var tolerance = new Option<double>("--tolerance")
        {
            Description = "Rule adaptive: relative completeness gap to reach",
            DefaultValueFactory = _ => new AttributionOptions().Tolerance,
        };
        var maxSteps = new Option<int>("--max-steps")
        {
            Description = "Rule adaptive: most points per layer",
            DefaultValueFactory = _ => new AttributionOptions().MaxSteps,
        };
        var objective = EnumOption<AttributionObjective>("--objective", AttributionObjective.Prob);
        var layers = new Option<string?>("--layers") { Description = "Comma-separated layers (default: all)" };
        var algorithm = EnumOption<AttributionAlgorithm>("--algorithm", AttributionAlgorithm.Fast);
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the full vectors" };
        var cmd = new Command("attribute", "Integrated gradients of one query over every FFN neuron")
            { model, target, targetId, noSpace, steps, rule, tolerance, maxSteps, objective, layers, algorithm, json };
        input.AddTo(cmd);
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
            var settings = new AttributionOptions
            {
                Steps = pr.GetValue(steps), Rule = pr.GetValue(rule), Tolerance = pr.GetValue(tolerance),
                MaxSteps = pr.GetValue(maxSteps), Objective = pr.GetValue(objective),
                Algorithm = pr.GetValue(algorithm),
                Layers = pr.GetValue(layers) is { } ls ? ModelInputOptions.ParseIds(ls, "--layers") : [],
            };
            // The config's own checks, with the option names of this command.
            if (settings.Validate().FirstOrDefault() is { } error)
            {
                string key = error.Key[(AttributionOptions.SectionName.Length + 1)..].Replace('_', '-');
                throw new UsageException($"--{key}: {error.Message}");
            }
            using var engine = new IntegratedGradients(m.Model, settings, m.PadId);
            var r = engine.Run([new AttributionQuery("cli", ids, types, position, [position], [targetToken])])[0];
            if (pr.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["f_a"] = r.FA, ["target_id"] = targetToken, ["target_prob"] = r.TargetProb,
                    ["target_rank"] = r.TargetRank,
                    ["prediction_position"] = position, ["objective"] = OptionNames.Of(settings.Objective),
                    ["rule"] = OptionNames.Of(settings.Rule), ["steps"] = settings.Steps,
                    ["tolerance"] = settings.Tolerance, ["max_steps"] = settings.MaxSteps,
                    ["algorithm"] = OptionNames.Of(settings.Algorithm), ["non_finite"] = r.NonFinite,
                    ["layers"] = r.Layers.Select(l => new Dictionary<string, object>
                    {
                        ["layer"] = l.Layer, ["f_baseline"] = l.FBaseline, ["sum"] = l.Sum, ["gap"] = l.Gap,
                        ["rule"] = OptionNames.Of(l.Rule), ["points"] = l.Points, ["tolerance_met"] = l.ToleranceMet,
                        ["attributions"] = l.Attributions,
                    }).ToList(),
                }));
                return 0;
            }
            Console.WriteLine($"F(a) = {r.FA:G6} ({OptionNames.Of(settings.Objective)}); target id {targetToken}" +
                              $"{(m.Tokenizer is null ? "" : $" '{m.Tokenizer.Decode([targetToken])}'")}: " +
                              $"p = {r.TargetProb:G4}, rank {r.TargetRank}");
            Console.WriteLine($"{"layer",5} {"F(baseline)",12} {"sum",12} {"gap",12} {"rel. gap",9} {"points",6} " +
                              $"{"met",3}" +
                              "  top neurons (unit: score)");
            foreach (var l in r.Layers)
            {
                var top = l.Attributions.Select((v, i) => (v, i)).OrderByDescending(x => x.v).Take(5)
                    .Select(x => $"{x.i}: {x.v:G3}");
                Console.WriteLine($"{l.Layer,5} {l.FBaseline,12:G5} {l.Sum,12:G5} {l.Gap,12:G4} " +
                                  $"{l.RelativeGap(r.FA),9:G3} " +
                                  $"{l.Points,6} {(l.ToleranceMet ? "yes" : "no"),3}  {string.Join(", ", top)}");
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>An option over an enum's YAML spellings (<see cref="OptionNames"/>), e.g. gauss-legendre.</summary>
    private static Option<T> EnumOption<T>(string name, T fallback) where T : struct, Enum
    {
        var names = OptionNames.Values(typeof(T));
        var option = new Option<T>(name)
        {
            Description = string.Join("|", names),
            DefaultValueFactory = _ => fallback,
            CustomParser = result =>
            {
                string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                if (OptionNames.TryParse(typeof(T), text, out var value))
                    return (T)value!;
                result.AddError($"{name}: '{text}' is not one of {string.Join(", ", names)}");
                return fallback;
            },
        };
        option.AcceptOnlyFromAmong([.. names]);
        return option;
    }
}
