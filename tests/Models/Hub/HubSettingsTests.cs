using KnPipeline.Stages.Downloads;
using KnPipeline.Stages.Models.Hub;
using KnPipeline.Tests.Downloads;
using Xunit;

namespace KnPipeline.Tests.Models.Hub;

public sealed class HubSettingsTests
{
    private static HubSettings From(params (string, string?)[] values) =>
        HubSettings.FromEnvironment(EnvironmentVariables.From(values.ToDictionary(v => v.Item1, v => v.Item2)));

    [Fact]
    public void CacheFollowsHuggingFaceHubPrecedence()
    {
        Assert.Equal("/c/hub-cache", From(("HF_HUB_CACHE", "/c/hub-cache"), ("HF_HOME", "/h")).CacheDir);
        Assert.Equal(Path.Combine("/h", "hub"), From(("HF_HOME", "/h"), ("XDG_CACHE_HOME", "/x")).CacheDir);
        Assert.Equal(Path.Combine("/x", "huggingface", "hub"), From(("XDG_CACHE_HOME", "/x"), ("HOME", "/home/u")).CacheDir);
        Assert.Equal(Path.Combine("/home/u", ".cache", "huggingface", "hub"), From(("HOME", "/home/u")).CacheDir);
        Assert.Equal(Path.Combine("/home/u", "models"), From(("HF_HUB_CACHE", "~/models"), ("HOME", "/home/u")).CacheDir);
    }

    [Fact]
    public void EndpointDefaultsToTheHubAndLosesItsTrailingSlash()
    {
        Assert.Equal("https://huggingface.co", From(("HOME", "/h")).Endpoint);
        Assert.Equal("http://127.0.0.1:9000", From(("HF_ENDPOINT", "http://127.0.0.1:9000/"), ("HOME", "/h")).Endpoint);
        Assert.Throws<ArgumentException>(() => From(("HF_ENDPOINT", "not a url"), ("HOME", "/h")));
    }

    [Fact]
    public void TokenComesFromHfTokenElseTheLoginFile()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("token"), "hf_from_file\n");

        Assert.Equal("hf_env", From(("HF_TOKEN", "hf_env"), ("HF_HOME", dir.Path)).Token);
        Assert.Equal("hf_from_file", From(("HF_HOME", dir.Path)).Token);
        Assert.Null(From(("HF_HOME", dir.Combine("elsewhere"))).Token);
    }

    [Fact]
    public void OfflineAcceptsTheValuesHuggingFaceHubAccepts()
    {
        foreach (string yes in new[] { "1", "ON", "yes", "True" })
            Assert.True(From(("HF_HUB_OFFLINE", yes), ("HOME", "/h")).Offline);
        foreach (string? no in new[] { "0", "false", "", null })
            Assert.False(From(("HF_HUB_OFFLINE", no), ("HOME", "/h")).Offline);
    }
}
