using KnPipeline.Cli;
using KnPipeline.Config;
using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Options;
using Xunit;

namespace KnPipeline.Tests.Config;

public class ConfigOverridesTests
{
    [Fact]
    public void OverridesSetScalarsEnumsListsAndNullsOnACopy()
    {
        var original = new PipelineConfig();
        var c = ConfigLoader.ApplyOverrides(original,
        [
            "attribution.steps=50", "attribution.rule=gauss-legendre", "data.languages=[en, fr]",
            "run.id=exp-2", "run.device=cuda:0", "embedded_model.learning_rate=0.01", "logging.file=false",
        ]);
        Assert.Equal(50, c.Attribution.Steps);
        Assert.Equal(IntegrationRule.GaussLegendre, c.Attribution.Rule);
        Assert.Equal(["en", "fr"], c.Data.Languages);
        Assert.Equal("exp-2", c.Run.Id);
        Assert.Equal("cuda:0", c.Run.Device);
        Assert.Equal(0.01, c.EmbeddedModel.LearningRate);
        Assert.False(c.Logging.File);
        Assert.Null(ConfigLoader.ApplyOverrides(c, ["run.id="]).Run.Id);
        // The input is untouched.
        Assert.Equal(ConfigHasher.Hash(new PipelineConfig()), ConfigHasher.Hash(original));
    }

    [Fact]
    public void OverrideFixesAnOutOfRangeFileValue()
    {
        var c = ConfigLoader.Parse("attribution:\n  steps: 0\n", "f.yaml", ["attribution.steps=5"]);
        Assert.Equal(5, c.Attribution.Steps);
    }

    [Fact]
    public void BadOverridesAreAllReportedAndNamed()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.ApplyOverrides(new PipelineConfig(),
            ["attribution.steps=three", "attribution", "attribution.stepz=3", "run.seed.x=1", "data.languages=en",
             "attribution.steps=[1", "attribution.top_k=0"]));
        Assert.Equal(
        [
            "--set attribution.steps=three: attribution.steps: expected an integer, got 'three'",
            "--set attribution: expected section.key=value, e.g. attribution.steps=50",
            "--set attribution.stepz=3: attribution.stepz: unknown key (did you mean 'attribution.steps'?)",
            "--set run.seed.x=1: run.seed: is a single value and has no key 'x'",
            "--set data.languages=en: data.languages: expected a list like [en], got 'en'",
        ], e.Errors.Take(5).Select(x => x.ToString()));
        Assert.StartsWith("--set attribution.steps=[1: attribution.steps: broken YAML", e.Errors[5].ToString());
        Assert.Equal("--set attribution.top_k=0: attribution.top_k: must be between 1 and 100000; got 0",
            e.Errors[6].ToString());
    }

    [Fact]
    public void CrossFieldErrorCausedByAnOverrideIsReported()
    {
        var e = Assert.Throws<ConfigException>(() =>
            ConfigLoader.ApplyOverrides(new PipelineConfig(), ["embedded_model.heads=3"]));
        Assert.Equal("--set: embedded_model.d_model: must be divisible by embedded_model.heads (3); got 128",
            Assert.Single(e.Errors).ToString());
    }

    [Fact]
    public void LoadForCommandTurnsConfigErrorsIntoUsageErrors()
    {
        using var file = new TempConfig("attribution:\n  steps: 0\n");
        var e = Assert.Throws<UsageException>(() => ConfigLoader.LoadForCommand(file.Path, ["run.seed=-2"]));
        Assert.Equal(
            $"{file.Path}:2:10: attribution.steps: must be between 1 and 1000; got 0{Environment.NewLine}" +
            "--set run.seed=-2: run.seed: must be at least 0; got -2", e.Message);
        Assert.Equal(9, ConfigLoader.LoadForCommand(file.Path, ["attribution.steps=9"]).Attribution.Steps);
    }
}
