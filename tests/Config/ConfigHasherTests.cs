using KnPipeline.Config;
using KnPipeline.Stages.Options;
using Xunit;

namespace KnPipeline.Tests.Config;

public class ConfigHasherTests
{
    private const string Ordered = """
        run:
          seed: 7
          device: cpu
        attribution:
          steps: 30
          rule: trapezoid
          layers: [1, 2]
        """;

    private const string Reordered = """
        # the same run, written differently
        attribution:   # IG
            layers:
              - 1
              - 2
            rule:    "trapezoid"
            steps: 30

        run: {device: cpu, seed: 7}
        """;

    [Fact]
    public void HashIgnoresCommentsWhitespaceQuotingAndKeyOrder()
    {
        string a = ConfigHasher.Hash(ConfigLoader.Parse(Ordered, "a.yaml"));
        string b = ConfigHasher.Hash(ConfigLoader.Parse(Reordered, "b.yaml"));
        Assert.Equal(a, b);
        Assert.Matches("^[0-9a-f]{64}$", a);
        Assert.Equal(a[..12], ConfigHasher.ShortHash(ConfigLoader.Parse(Ordered, "a.yaml")));
    }

    [Fact]
    public void HashChangesWithAnyValueIncludingListOrder()
    {
        string a = ConfigHasher.Hash(ConfigLoader.Parse(Ordered, "a.yaml"));
        Assert.NotEqual(a, ConfigHasher.Hash(ConfigLoader.Parse(Ordered.Replace("steps: 30", "steps: 31"), "a.yaml")));
        Assert.NotEqual(a, ConfigHasher.Hash(ConfigLoader.Parse(Ordered.Replace("[1, 2]", "[2, 1]"), "a.yaml")));
        Assert.NotEqual(a, ConfigHasher.Hash(ConfigLoader.Parse(Ordered + "\nlogging:\n  file: false\n", "a.yaml")));
    }

    [Fact]
    public void HashOfAnExplicitDefaultEqualsTheOmittedKey()
    {
        Assert.Equal(ConfigHasher.Hash(new PipelineConfig()),
            ConfigHasher.Hash(ConfigLoader.Parse("attribution:\n  steps: 20\n  kn_threshold: 0.20\n", "d.yaml")));
    }

    [Fact]
    public void CanonicalJsonHasSortedSnakeCaseKeysAndYamlEnumSpellings()
    {
        string json = ConfigHasher.ToCanonicalJson(new PipelineConfig());
        Assert.StartsWith("{\"attribution\":{\"algorithm\":\"fast\",\"batch_rows\":480," +
                          "\"batch_tokens\":0,\"cpu_workers\":2,\"keep_full\":true,\"kn_threshold\":0.2,\"layers\":[],", json);
        Assert.Contains("\"methods\":[\"dai\",\"amig\"]", json);
        Assert.Contains("\"embedded_model\":{\"alignment\":\"both\",\"batch_size\":64,\"bos\":false," +
                        "\"cache_dir\":\".cache/embedded-model\",\"code_switch_rate\":0.2,\"d_model\":128,", json);
        Assert.Contains("\"run\":{\"chunk_facts\":8,\"device\":\"auto\",\"dtype\":\"float32\",\"id\":null,", json);
        Assert.Contains("\"target\":\"first-token\"", json);
        Assert.Contains("\"format\":\"rml-lama\"", json);
        Assert.DoesNotContain(" ", json);
        Assert.Contains("\n  \"attribution\": {", ConfigHasher.ToCanonicalJson(new PipelineConfig(), indented: true));
    }

    [Fact]
    public void SectionsHashOnTheirOwnForStageCacheKeys()
    {
        var a = new EmbeddedModelOptions();
        var b = new EmbeddedModelOptions { Layers = 5 };
        Assert.NotEqual(OptionsJson.Sha256(a), OptionsJson.Sha256(b));
        Assert.Equal(OptionsJson.Sha256(a), OptionsJson.Sha256(new PipelineConfig().EmbeddedModel));
        Assert.Equal(OptionsJson.Sha256(b), OptionsJson.Sha256(OptionsSchema.Clone(b)));
    }
}
