namespace KnPipeline.Cli;

/// <summary>
/// Turns a <see cref="UsageException"/> thrown by a command action into "error: …" on stderr and exit code 2.
/// System.CommandLine's default exception handler catches exceptions inside <c>InvokeAsync</c> (printing a stack
/// trace, exit 1) before <see cref="CliApp.RunAsync"/> can see them, so actions report usage errors themselves.
/// </summary>
public static class CliUsage
{
    public static async Task<int> ReportAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return CliApp.ExitUsage;
        }
    }
}
