using System.Text.Json;
using KnPipeline.Cli;
using KnPipeline.Config;
using KnPipeline.Tests.Support;
using Xunit;

namespace KnPipeline.Tests.Config;

/// <summary>
/// <c>pipeline validate-config</c> end to end through <see cref="CliApp.RunAsync"/>: each malformed file exits 2
/// with one stderr line naming the file, line and key.
/// </summary>
[Collection(ConfigConsoleCollection.Name)]
public class ValidateConfigCommandTests
{
    private static async Task<(int Code, string Out, string Error)> Run(params string[] args)
    {
        using var console = new ConsoleCapture();
        int code = await CliApp.RunAsync(args);
        return (code, console.Out, console.Error);
    }

    /// <summary>Validates <paramref name="yaml"/> and returns the stderr lines after checking exit code 2 and no
    /// trace.</summary>
    private static async Task<string[]> Rejected(string yaml, int line, string key, string message)
    {
        using var file = new TempConfig(yaml);
        var (code, stdout, stderr) = await Run("validate-config", file.Path);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", stdout);
        Assert.DoesNotContain("   at ", stderr);
        string[] lines = stderr.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith($"{file.Path}:{line}:", StringComparison.Ordinal) &&
                                    l.Contains(key, StringComparison.Ordinal) &&
                                    l.Contains(message, StringComparison.Ordinal));
        return lines;
    }

    [Fact]
    public async Task UnknownTopLevelKeyIsRejected() =>
        await Rejected("run:\n  seed: 1\nattributions:\n  steps: 3\n", 3, "attributions",
            "unknown key (did you mean 'attribution'?)");

    [Fact]
    public async Task UnknownNestedKeyIsRejectedWithASuggestion() =>
        await Rejected("attribution:\n  steps: 3\n  stepz: 4\n", 3, "attribution.stepz",
            "unknown key (did you mean 'attribution.steps'?)");

    [Fact]
    public async Task KeyUnderAScalarOptionIsRejected() =>
        await Rejected("attribution:\n  rule:\n    name: left\n", 3, "attribution.rule",
            "expected a single value, got a mapping");

    [Fact]
    public async Task WrongTypeIsRejected() =>
        await Rejected("attribution:\n  steps: three\n", 2, "attribution.steps", "expected an integer, got 'three'");

    [Fact]
    public async Task OutOfRangeValueIsRejected() =>
        await Rejected("pipeline:\n  row_group_rows: 10\n", 2, "pipeline.row_group_rows",
            "must be between 100 and 10000000; got 10");

    [Fact]
    public async Task BadEnumValueIsRejectedWithTheAllowedValues() =>
        await Rejected("attribution:\n  rule: middle\n", 2, "attribution.rule",
            "must be one of left, right, trapezoid, gauss-legendre, adaptive; got 'middle'");

    [Fact]
    public async Task BadSplitIsRejectedWithTheHeldOutLanguageSpelling()
    {
        // Enum values are spelt with dashes (HeldoutLanguage → heldout-language); snake_case, as keys are
        // spelt, is the likely slip.
        await Rejected("data:\n  split: heldout_language\n", 2, "data.split",
            "must be one of all, train, heldout, heldout-language; got 'heldout_language' " +
            "(did you mean 'heldout-language'?)");
        using var good = new TempConfig("data:\n  split: heldout-language\n");
        Assert.Equal(ExitCodes.Ok, (await Run("validate-config", good.Path)).Code);
    }

    [Fact]
    public async Task BadIndentationIsBrokenYaml() =>
        await Rejected("attribution:\n  steps: 3\n rule: left\n", 3, "near 'attribution.rule'", "broken YAML");

    [Fact]
    public async Task UnclosedQuoteIsBrokenYaml() =>
        await Rejected("data:\n  source: \"my folder\n  format: pararel\n", 2, "near 'data.source'", "broken YAML");

    [Fact]
    public async Task DuplicateKeyIsRejected() =>
        await Rejected("attribution:\n  steps: 3\n  rule: left\n  steps: 4\n", 4, "attribution.steps",
            "duplicate key (first given at line 2)");

    [Fact]
    public async Task ScalarWhereAListIsExpectedIsRejected() =>
        await Rejected("data:\n  languages: en\n", 2, "data.languages", "expected a list like [en], got 'en'");

    [Fact]
    public async Task ListWhereAScalarIsExpectedIsRejected() =>
        await Rejected("run:\n  device: [cpu, cuda]\n", 2, "run.device", "expected a single value, got a list");

    [Fact]
    public async Task BadLanguageCodeIsRejectedAtItsItem() =>
        await Rejected("data:\n  languages:\n    - en\n    - English\n", 4, "data.languages[1]",
            "must be a language code like 'en', 'zho' or 'pt-BR'; got 'English'");

    [Fact]
    public async Task DModelNotDivisibleByHeadsIsRejected() =>
        await Rejected("embedded_model:\n  d_model: 128\n  heads: 5\n", 2, "embedded_model.d_model",
            "must be divisible by embedded_model.heads (5); got 128");

    [Fact]
    public async Task TabIndentationIsRejectedOnEveryTabbedLine()
    {
        var lines = await Rejected("attribution:\n\tsteps: 3\n\trule: left\n", 2, "near 'attribution.steps'",
            "tab character");
        Assert.Contains(lines, l => l.Contains(":3:1: broken YAML near 'attribution.rule'"));
    }

    [Fact]
    public async Task NullForANonNullableOptionIsRejected() =>
        await Rejected("attribution:\n  steps:\n  rule: left\n", 2, "attribution.steps", "must not be null");

    [Fact]
    public async Task MissingFileIsOneLineAndExitCode2()
    {
        string missing = Path.Combine(Path.GetTempPath(), "kn-missing", "nope.yaml");
        var (code, stdout, stderr) = await Run("validate-config", missing);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", stdout);
        Assert.Equal($"config file not found: {missing}{Environment.NewLine}", stderr);
    }

    [Fact]
    public async Task ValidFilePrintsOkWithTheShortHash()
    {
        using var file = new TempConfig("attribution:\n  steps: 50\n");
        var (code, stdout, stderr) = await Run("validate-config", file.Path);
        string hash = ConfigHasher.Hash(ConfigLoader.Load(file.Path));
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal($"ok: {file.Path} (config hash {hash[..12]}){Environment.NewLine}", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task JsonOutputReportsSuccessAndErrors()
    {
        using var good = new TempConfig("run:\n  seed: 7\n");
        var (code, stdout, _) = await Run("validate-config", good.Path, "--json");
        Assert.Equal(ExitCodes.Ok, code);
        using (var doc = JsonDocument.Parse(stdout))
        {
            Assert.True(doc.RootElement.GetProperty("ok").GetBoolean());
            Assert.Equal(good.Path, doc.RootElement.GetProperty("file").GetString());
            Assert.Equal(ConfigHasher.Hash(ConfigLoader.Load(good.Path)),
                doc.RootElement.GetProperty("hash").GetString());
        }

        using var bad = new TempConfig("run:\n  seed: -1\n  sed: 2\n");
        (code, stdout, var stderr) = await Run("validate-config", bad.Path, "--json");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", stderr);
        using var errors = JsonDocument.Parse(stdout);
        Assert.False(errors.RootElement.GetProperty("ok").GetBoolean());
        Assert.Equal(
        [
            $"{bad.Path}:2:9: run.seed: must be at least 0; got -1",
            $"{bad.Path}:3:3: run.sed: unknown key (did you mean 'run.seed'?)",
        ], errors.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task OverridesAreValidatedAndNamed()
    {
        var (code, stdout, _) = await Run("validate-config", Path.Combine(SharedData.RepoRoot, "pipeline.yaml"),
            "--set", "attribution.steps=50", "--json");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("\"ok\":true", stdout);

        (code, _, var stderr) = await Run("validate-config", "--set", "attribution.rule=middle");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.StartsWith("--set attribution.rule=middle: attribution.rule: must be one of", stderr);
    }

    [Fact]
    public async Task WithoutAFileTheWorkingDirectoryConfigWinsOverTheEmbeddedOne()
    {
        string before = Directory.GetCurrentDirectory();
        using var local = new TempConfig("attribution:\n  steps: 7\n");
        string empty = Directory.CreateTempSubdirectory("kn-empty").FullName;
        try
        {
            Directory.SetCurrentDirectory(local.Folder);
            var (code, stdout, _) = await Run("validate-config");
            Assert.Equal(ExitCodes.Ok, code);
            Assert.StartsWith("ok: pipeline.yaml (config hash ", stdout);
            Assert.Equal(7, ConfigLoader.LoadForCommand(null).Attribution.Steps);

            Directory.SetCurrentDirectory(empty);
            (code, stdout, _) = await Run("validate-config");
            Assert.Equal(ExitCodes.Ok, code);
            Assert.Equal($"ok: {ConfigLoader.EmbeddedSource} (config hash " +
                         $"{ConfigHasher.ShortHash(new KnPipeline.Stages.Options.PipelineConfig())})" +
                         $"{Environment.NewLine}", stdout);
        }
        finally
        {
            Directory.SetCurrentDirectory(before);
            Directory.Delete(empty);
        }
    }
}
