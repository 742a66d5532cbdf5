using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using KnPipeline.Config;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline validate-config [file] [--set k=v]... [--json]</c>: loads and validates a config without starting
/// anything. Prints <c>ok: &lt;file&gt; (config hash &lt;12 hex&gt;)</c>, or every error line on stderr and exits 2.
/// With <c>--json</c> the result is <c>{"ok":true,"file":…,"hash":…}</c> or <c>{"ok":false,"errors":[…]}</c> on
/// stdout (exit code still 2 on errors).
/// </summary>
public static class ValidateConfigCommand
{
    // File names such as "<embedded>/pipeline.yaml" stay readable instead of becoming \u003C…\u003E.
    private static readonly JsonSerializerOptions JsonOut =
        new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var file = new Argument<string?>("file")
        {
            Arity = ArgumentArity.ZeroOrOne,
            Description = $"Config file (default: ./{ConfigLoader.DefaultFileName} if present, else the embedded one)",
        };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on stdout" };
        var set = new Option<string[]>("--set")
        {
            Description = "Override one key before validating, e.g. --set attribution.steps=50 (repeatable)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var cmd = new Command("validate-config", "Check a pipeline.yaml: every key, type, range and cross-field rule");
        cmd.Arguments.Add(file);
        cmd.Options.Add(json);
        cmd.Options.Add(set);
        cmd.SetAction(r => Run(r.GetValue(file), r.GetValue(set) ?? [], r.GetValue(json)));
        return cmd;
    }

    public static int Run(string? file, IReadOnlyList<string> overrides, bool json)
    {
        string source = ConfigLoader.ResolveSource(file);
        try
        {
            var config = file == null && source == ConfigLoader.EmbeddedSource
                ? ConfigLoader.LoadDefault(overrides)
                : ConfigLoader.Load(source, overrides);
            string hash = ConfigHasher.Hash(config);
            Console.WriteLine(json
                ? new JsonObject { ["ok"] = true, ["file"] = source, ["hash"] = hash }.ToJsonString(JsonOut)
                : $"ok: {source} (config hash {hash[..ConfigHasher.ShortLength]})");
            return ExitCodes.Ok;
        }
        catch (ConfigException e)
        {
            if (json)
            {
                var errors = new JsonArray(e.Errors.Select(x => (JsonNode?)JsonValue.Create(x.ToString())).ToArray());
                Console.WriteLine(new JsonObject { ["ok"] = false, ["errors"] = errors }.ToJsonString(JsonOut));
            }
            else
            {
                foreach (var error in e.Errors)
                    Console.Error.WriteLine(error);
            }
            return ExitCodes.Usage;
        }
    }
}
