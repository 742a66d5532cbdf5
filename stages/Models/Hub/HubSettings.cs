using KnPipeline.Stages.Downloads;

namespace KnPipeline.Stages.Models.Hub;

/// <summary>
/// The Hub settings huggingface_hub reads from the environment, with the same names and precedence, so both tools share
/// one cache and one login:
/// <list type="bullet">
/// <item>cache: HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, where HF_HOME defaults to
/// $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface;</item>
/// <item>endpoint: HF_ENDPOINT (default https://huggingface.co);</item>
/// <item>token: HF_TOKEN, else HUGGING_FACE_HUB_TOKEN, else the file HF_TOKEN_PATH (default $HF_HOME/token) that
/// <c>huggingface-cli login</c> writes;</item>
/// <item>offline: HF_HUB_OFFLINE=1 (also ON/YES/TRUE): only the cache is used.</item>
/// </list>
/// </summary>
public sealed record HubSettings(string Endpoint, string CacheDir, string? Token, bool Offline)
{
    public const string DefaultEndpoint = "https://huggingface.co";

    public static HubSettings FromEnvironment(EnvironmentVariables env)
    {
        string hfHome = env.ExpandHome(env.Get("HF_HOME")
            ?? Path.Combine(env.Get("XDG_CACHE_HOME") ?? Path.Combine(env.HomeDirectory, ".cache"), "huggingface"));
        string cache = env.ExpandHome(env.Get("HF_HUB_CACHE") ?? env.Get("HUGGINGFACE_HUB_CACHE")
            ?? Path.Combine(hfHome, "hub"));
        string endpoint = (env.Get("HF_ENDPOINT") ?? DefaultEndpoint).TrimEnd('/');
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new ArgumentException($"HF_ENDPOINT '{endpoint}' must be an absolute http(s) URL");
        return new HubSettings(endpoint, cache, ReadToken(env, hfHome), env.IsTrue("HF_HUB_OFFLINE"));
    }

    private static string? ReadToken(EnvironmentVariables env, string hfHome)
    {
        string? token = env.Get("HF_TOKEN") ?? env.Get("HUGGING_FACE_HUB_TOKEN");
        if (token != null) return token.Trim();
        string path = env.ExpandHome(env.Get("HF_TOKEN_PATH") ?? Path.Combine(hfHome, "token"));
        if (!File.Exists(path)) return null;
        string stored = File.ReadAllText(path).Trim();
        return stored.Length > 0 ? stored : null;
    }
}
