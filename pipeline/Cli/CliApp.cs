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
        root.Subcommands.Add(SelfCheckCommand.Create());
        root.Subcommands.Add(new Command("bench", "Benchmarks that print speed and memory figures") { BenchAttributionCommand.Create() });
        root.Subcommands.Add(ValidateConfigCommand.Create());
        root.Subcommands.Add(DataCommand.Create());
        root.Subcommands.Add(ModelFetchCommand.Create());
        root.Subcommands.Add(TrainEmbeddedCommand.Create());
        // Without a subcommand the pipeline runs its main job.
        root.SetAction((_, ct) => SelfCheckCommand.RunAsync(ct));
        return root;
    }

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
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitUsage;
        }
        catch (KnPipeline.Stages.Models.Core.ModelLoadException e)
        {
            // A model folder that does not load is bad input named by the user: the message says which file.
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
