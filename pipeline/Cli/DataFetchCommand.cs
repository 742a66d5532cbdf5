using System.CommandLine;
using System.Text.Json.Nodes;
using KnPipeline.Stages.Downloads;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline data fetch &lt;name&gt; --to &lt;dir&gt; [--mirror URL] [--json]</c>: downloads a public dataset listed
/// in benchmarks-data/downloads into &lt;dir&gt;/&lt;name&gt;, verifying every file's size and sha256. --json prints
/// {"name", "path", "files", "downloaded", "skipped", "bytes_downloaded", "unpacked"}.
/// </summary>
public static class DataFetchCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name")
        {
            Description = $"Dataset: {string.Join(", ", DatasetCatalog.Names)}, or the path of a manifest .json",
        };
        var to = new Option<string>("--to") { Description = "Folder that receives <name>/", Required = true };
        var mirror = new Option<string?>("--mirror")
        {
            Description = "Base URL that replaces the scheme and host of every download URL, keeping the path " +
                          $"(default: ${UrlMirror.EnvironmentVariable})",
        };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object" };
        var parallel = new Option<int>("--parallel")
        {
            Description = "Files downloaded at once", DefaultValueFactory = _ => 4,
        };
        var cmd = new Command("fetch", "Download a public dataset, verify its checksums and lay it out for the loaders")
        {
            name, to, mirror, json, parallel,
        };
        cmd.SetAction((parse, ct) => RunAsync(parse.GetValue(name)!, parse.GetValue(to)!,
            parse.GetValue(mirror), parse.GetValue(json), parse.GetValue(parallel), EnvironmentVariables.Process,
            Console.Out, Console.Error, ct));
        return cmd;
    }

    public static async Task<int> RunAsync(string name, string to, string? mirror, bool json, int parallel,
        EnvironmentVariables env, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        DatasetManifest manifest;
        try
        {
            manifest = DatasetCatalog.Load(name);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException)
        {
            throw new UsageException(e.Message);
        }
        mirror ??= env.Get(UrlMirror.EnvironmentVariable);
        if (mirror != null && UrlMirror.Validate(mirror) is { } error) throw new UsageException(error);
        if (parallel < 1) throw new UsageException($"--parallel must be at least 1, got {parallel}");

        var progress = new DownloadProgress(stderr,
            ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected);
        using var downloader = new FileDownloader();
        try
        {
            var r = await new DatasetFetcher(downloader, progress, parallel).FetchAsync(manifest, to, mirror, ct);
            if (json)
                stdout.WriteLine(new JsonObject
                {
                    ["name"] = r.Name, ["path"] = r.Path, ["files"] = r.Files, ["downloaded"] = r.Downloaded,
                    ["skipped"] = r.Skipped, ["bytes_downloaded"] = r.BytesDownloaded, ["unpacked"] = r.Unpacked,
                }.ToJsonString());
            else
                stdout.WriteLine($"{r.Name}: {r.Files} files in {r.Path} ({r.Downloaded} downloaded, " +
                                 $"{r.Skipped} already present, {r.BytesDownloaded / 1e6:F1} MB" +
                                 (r.Unpacked > 0 ? $", {r.Unpacked} files unpacked)" : ")"));
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            stderr.WriteLine("interrupted: partial files are kept and resumed by the next fetch");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is DownloadException or InvalidDataException or IOException
                                       or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.Failure;
        }
    }
}
