using System.CommandLine;

namespace KnPipeline.Cli;

/// <summary>Builds the command tree. Each command lives in its own file and exposes a static <c>Create()</c>.</summary>
public static class CliApp
{
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("kn-pipeline: find and edit knowledge neurons in transformer language models");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(MergeCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(SelfCheckCommand.Create());
        root.Subcommands.Add(new Command("bench", "Benchmarks that print speed and memory figures")
            {
                BenchForwardCommand.Create(), BenchAttributionCommand.Create(), BenchCommand.CreateData(),
                BenchMemoryCommand.Create(), BenchEditingCommand.Create()
            });
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

    public static async Task<int> RunAsync(string[] args)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
                Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine("Run 'pipeline --help' for usage.");
            return ExitCodes.Usage;
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
        catch (Exception e)
        {
            int code = ExitCodes.For(e);
            // A usage error names what to fix; a failure is a bug or an environment fault, so it keeps its stack.
            if (code == ExitCodes.Interrupted)
                Console.Error.WriteLine("stopped");
            else if (code == ExitCodes.Usage)
                Console.Error.WriteLine($"error: {e.Message}");
            else
                Console.Error.WriteLine($"error: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            return code;
        }
    }
}
