using System.CommandLine;
using KnPipeline.Config;
using KnPipeline.Hosting;
using KnPipeline.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using Serilog.Events;

namespace KnPipeline.Cli;

/// <summary>
/// <c>pipeline run [--config FILE] [--set k=v] [--run-dir DIR] [--resume] [--shard i/N] [--no-report]</c>: the main
/// job. Without a subcommand <c>pipeline</c> runs this with the default config.
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var config = new ConfigCommandOptions();
        var runDir = new Option<string?>("--run-dir")
            { Description = "The run folder itself (default: runs/<run-id>)" };
        var resume = new Option<bool>("--resume")
            { Description = "Continue the run in --run-dir (a rerun of the same config also resumes)" };
        var shard = new Option<string?>("--shard")
            { Description = "Run shard i of N (also from SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX)" };
        var noReport = new Option<bool>("--no-report") { Description = "Do not write <run-dir>/report at the end" };
        var cmd = new Command("run", "Run the pipeline: benchmark → queries → tokens → attributions → KN sets")
            { runDir, resume, shard, noReport };
        config.AddTo(cmd);
        cmd.SetAction((pr, ct) => RunAsync(config.Load(pr), config.Source(pr), pr.GetValue(runDir), pr.GetValue(resume),
            pr.GetValue(shard), !pr.GetValue(noReport)));
        return cmd;
    }

    public static Task<int> RunDefaultAsync() =>
        RunAsync(ConfigLoader.LoadForCommand(null), ConfigLoader.ResolveSource(null), null, false, null);

    public static async Task<int> RunAsync(Stages.Options.PipelineConfig cfg, string source, string? runDir,
        bool resume, string? shardText, bool report = true)
    {
        var shard = ShardSpec.Resolve(shardText, Environment.GetEnvironmentVariable);
        var request = new RunRequest(cfg, source, runDir, resume, shard, report);
        string dir = runDir ?? PipelineRun.DefaultRunDir(cfg);
        Directory.CreateDirectory(Path.Combine(dir, "logs"));
        var level = cfg.Logging.Level switch
        {
            Stages.Options.LoggingLevel.Verbose => LogEventLevel.Verbose,
            Stages.Options.LoggingLevel.Debug => LogEventLevel.Debug,
            Stages.Options.LoggingLevel.Warning => LogEventLevel.Warning,
            Stages.Options.LoggingLevel.Error => LogEventLevel.Error,
            _ => LogEventLevel.Information,
        };
        // Logs go to stderr (stdout is kept for results) and to the run folder.
        var lc = new LoggerConfiguration().MinimumLevel.Is(level).Enrich.FromLogContext()
            .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose,
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}");
        if (cfg.Logging.File)
            lc = lc.WriteTo.File(Path.Combine(dir, "logs", $"pipeline-{shard.Tag}.log"),
                outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}");
        Log.Logger = lc.CreateLogger();
        try
        {
            var builder = Host.CreateApplicationBuilder(
                new HostApplicationBuilderSettings { DisableDefaults = true, Args = [] });
            builder.Services.AddSerilog();
            builder.Services.AddSingleton(request);
            builder.Services.AddSingleton(new RunOutcome());
            builder.Services.AddSingleton<PipelineRun>();
            builder.Services.AddHostedService<PipelineService>();
            builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
            // Long enough for Ctrl-C to let the chunk being written finish.
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(2));
            builder.Services.AddSingleton<IHostLifetime, Microsoft.Extensions.Hosting.Internal.ConsoleLifetime>();
            using var host = builder.Build();
            var outcome = host.Services.GetRequiredService<RunOutcome>();
            await host.RunAsync();
            return outcome.ExitCode;
        }
        finally
        {
            await Log.CloseAndFlushAsync();
        }
    }
}
