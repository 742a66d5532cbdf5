using System.CommandLine;
using System.Text.Json.Nodes;
using KnPipeline.Stages.Downloads;
using KnPipeline.Stages.Models.Hub;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline model fetch &lt;id[@revision]&gt; [--json]</c>: downloads a Hugging Face Hub checkpoint (config.json,
/// safetensors weights, tokenizer files) into the standard Hub cache, shared with Python's huggingface_hub. Reads
/// HF_ENDPOINT, HF_TOKEN, HF_HOME, HF_HUB_CACHE and HF_HUB_OFFLINE. --json prints
/// {"repo_id", "revision", "commit", "path", "files"}.
/// </summary>
public static class ModelFetchCommand
{
    /// <summary>The <c>model</c> command, holding <c>fetch</c> and any <paramref name="extra"/> subcommands.</summary>
    public static Command Create(params Command[] extra)
    {
        var id = new Argument<string>("id") { Description = "Hub model id: name, org/name or org/name@revision" };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object" };
        var fetch = new Command("fetch", "Download a Hugging Face Hub checkpoint into the Hub cache") { id, json };
        fetch.SetAction((parse, ct) =>
            RunAsync(parse.GetValue(id)!, parse.GetValue(json), EnvironmentVariables.Process, Console.Out,
                Console.Error, ct));
        var cmd = new Command("model", "Model checkpoints") { fetch };
        foreach (var sub in extra) cmd.Subcommands.Add(sub);
        return cmd;
    }

    public static async Task<int> RunAsync(string id, bool json, EnvironmentVariables env, TextWriter stdout,
        TextWriter stderr, CancellationToken ct)
    {
        if (!HubModelReference.TryParse(id, out var model, out string? error)) throw new UsageException(error!);
        HubSettings settings;
        try
        {
            settings = HubSettings.FromEnvironment(env);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        var progress = new DownloadProgress(stderr,
            ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected);
        using var downloader = new FileDownloader();
        try
        {
            var r = await new HubModelFetcher(new HubClient(settings, downloader), progress).FetchAsync(model!, ct);
            if (json)
                stdout.WriteLine(new JsonObject
                {
                    ["repo_id"] = r.RepoId, ["revision"] = r.Revision, ["commit"] = r.Commit, ["path"] = r.Path,
                    ["files"] = new JsonArray(r.Files.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray()),
                }.ToJsonString());
            else
                stdout.WriteLine($"{model} at commit {r.Commit}: {r.Files.Count} files in {r.Path} " +
                                 $"({r.FilesDownloaded} downloaded, {r.BytesDownloaded / 1e6:F1} MB)");
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            stderr.WriteLine("interrupted: partial blobs (.incomplete) are kept and resumed by the next fetch");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is HubException or DownloadException or InvalidDataException or IOException
                                       or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.Failure;
        }
    }
}
