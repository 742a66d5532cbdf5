using System.CommandLine;

namespace KnPipeline.Cli;

/// <summary>Builds the command tree. Each command lives in its own file and exposes a static <c>Create()</c>.</summary>
public static class CliApp
{
    /// <summary>Exit codes shared by every command.</summary>
    public const int ExitOk = 0, ExitFailure = 1, ExitUsage = 2, ExitInterrupted = 130;

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("kn-pipeline: find and edit knowledge neurons in transformer language models");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(MergeCommand.Create());
        root.Subcommands.Add(SelfCheckCommand.Create());
        root.Subcommands.Add(new Command("bench", "Benchmarks that print speed and memory figures")
            { BenchForwardCommand.Create(), BenchAttributionCommand.Create(), BenchCommand.CreateData(), BenchMemoryCommand.Create() });
        root.Subcommands.Add(ValidateConfigCommand.Create());
        root.Subcommands.Add(InspectModelCommand.Create());
        root.Subcommands.Add(AttributeCommand.Create());
        root.Subcommands.Add(DataCommand.Create(DataStatsCommand.CreateStats()));
        root.Subcommands.Add(ModelFetchCommand.Create());
        root.Subcommands.Add(TrainEmbeddedCommand.Create());
        // Without a subcommand the pipeline runs its main job on the default config.
        root.SetAction((_, _) => RunCommand.RunDefaultAsync());
        return root;
    }

    private static bool IsBadInput(Exception e) => e is KnPipeline.Stages.Models.Core.ModelLoadException
        or KnPipeline.Stages.Models.Hub.HubException or FileNotFoundException or DirectoryNotFoundException
        or InvalidDataException or ArgumentException;

    public static async Task<int> RunAsync(string[] args)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
                Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine("Run 'pipeline --help' for usage.");
            return ExitUsage;
        }
        try
        {
            // Our own handler below maps usage errors to exit code 2; System.CommandLine's would print a stack trace.
            // Signals are left to the host of `pipeline run` (which flushes and exits 130): System.CommandLine's own
            // handler would return from Main after a timeout while the device thread is still inside libtorch.
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            });
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitUsage;
        }
        catch (Exception e) when (IsBadInput(e))
        {
            // A model or file named by the user that does not load: the message names it.
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitUsage;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("stopped");
            return ExitInterrupted;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: {e.GetType().Name}: {e.Message}");
            Console.Error.WriteLine(e.StackTrace);
            return ExitFailure;
        }
    }
}

/// <summary>Bad usage or configuration: the message is shown as is and the exit code is 2.</summary>
public sealed class UsageException(string message) : Exception(message);
