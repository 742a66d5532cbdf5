using KnPipeline.Cli;
using KnPipeline.Stages.Records;
using KnPipeline.Tests.Config;
using Xunit;

namespace KnPipeline.Tests.Support;

/// <summary>The CLI in process, with its console captured, for the end-to-end tests (use in the console collection).</summary>
public static class CliRunner
{
    public static async Task<(int Code, string Out, string Err)> RunCli(params string[] args)
    {
        using var console = new ConsoleCapture();
        int code = await CliApp.RunAsync(args);
        return (code, console.Out, console.Error);
    }

    /// <summary>Every registered table of a run folder, exported as JSON lines.</summary>
    public static async Task<Dictionary<string, string>> ExportAll(string runDir)
    {
        var result = new Dictionary<string, string>();
        foreach (var table in TableRegistry.Names)
        {
            var (code, stdout, err) = await RunCli("export", runDir, table, "--format", "jsonl");
            Assert.True(code == 0, err);
            result[table] = stdout;
        }
        return result;
    }
}
