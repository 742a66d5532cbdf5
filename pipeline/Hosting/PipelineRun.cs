using System.Diagnostics;
using KnPipeline.Runs;
using KnPipeline.Stages.Models;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Records;
using KnPipeline.Stages.Training;
using Microsoft.Extensions.Logging;

namespace KnPipeline.Hosting;

/// <summary>
/// One run from config to run folder, as a list of phases: resolve inputs (data, model, training) → manifest check
/// (on resume) → plan (chunks, the done ones skipped) → editing (its plan and dev pass) → manifest (a new run's,
/// with the tuned values) → graph (the rest) → reduce (statistics over all facts) → summary → report (unless
/// <c>--no-report</c>). Each phase is its own class; this one only sequences
/// them and times them.
/// </summary>
public sealed class PipelineRun(RunRequest request, ILogger<PipelineRun> log)
{
    private PipelineConfig C => request.Config;

    public static string DefaultRunDir(PipelineConfig c) =>
        Path.Combine(RepoPaths.ResolveCacheDir(c.Run.RunsDir), c.Run.Id ?? $"run-{RunManifest.WorkHash(c)[..12]}");

    public async Task<(int ExitCode, string RunDir)> ExecuteAsync(CancellationToken ct)
    {
        var wall = Stopwatch.StartNew();
        var timings = new RunSummary.Timings();
        var run = new RunFolder(request.RunDir ?? DefaultRunDir(C));
        if (request.Resume && !File.Exists(run.ManifestPath))
            throw new UsageException($"--resume: {run.Path} holds no run (no manifest.json)");
        run.Create();
        string workHash = RunManifest.WorkHash(C);
        log.LogInformation("run folder {RunDir} (work hash {Hash}), shard {Shard}", run.Path, workHash[..12],
            request.Shard.Tag);
        DeviceSelector.ConfigureProcess(C.Run.Threads, C.Run.Seed);

        var inputs = Timed(timings, "model_s", () => RunInputs.Resolve(C, log, ct));
        timings.EmbeddedTrainingSeconds = inputs.TrainingSeconds;

        var manifest = RunManifest.Build(C, request.ConfigSource, inputs.Loaded, inputs.DataDir, workHash,
            inputs.Source.Languages);
        // A resumed run's manifest is checked before any work; a new one is written after the editing dev pass,
        // whose tuned values it records, and before the parts' metadata, which hashes it.
        bool resumed = File.Exists(run.ManifestPath);
        if (resumed)
            run.WriteOrCheckManifest(manifest, workHash);
        var plan = RunPlan.Build(C, inputs, run, request.Shard, log);
        var editing = C.Editing.Enabled
            ? Timed(timings, "edit_dev_s", () => EditingPhase.Prepare(C, inputs, plan, run, log))
            : null;
        if (!resumed)
        {
            if (editing != null)
                manifest["editing_tuned"] = editing.TunedJson();
            run.WriteOrCheckManifest(manifest, workHash);
        }
        var metadata = new PartMetadata(RunManifest.FileHash(run), inputs.Loaded.Model.NeuronDefinition);
        // Every shard computes the same dev pass; one of them stores it, so no two write the same file.
        if (editing != null && request.Shard.Index == 0)
            await editing.WriteAsync(run, metadata, C.Pipeline.RowGroupRows, ct);
        await LoadQuarantinePart.WriteAsync(run, request.Shard, inputs.LoadQuarantine, metadata, ct);

        var clock = Stopwatch.StartNew();
        var graph = await GraphPhase.RunAsync(C, inputs, plan, run, metadata, log, ct, editing);
        timings.Seconds["graph_s"] = clock.Elapsed.TotalSeconds;
        timings.Seconds["device_s"] = graph.DeviceSeconds;
        var stages = graph.StageSeconds;
        (timings.Seconds["expand_s"], timings.Seconds["tokenize_s"], timings.Seconds["write_s"]) =
            (stages.Expand, stages.Tokenize, stages.Write);
        (timings.Seconds["analyze_s"], timings.Seconds["intervene_s"], timings.Seconds["edit_s"]) =
            (stages.Analyze, stages.Intervene, stages.Edit);
        timings.DeviceBusy = graph.DeviceBusy;
        timings.QueriesAttributedThisSession = graph.QueriesAttributed;
        timings.Flops = graph.Flops;

        bool complete = !graph.Interrupted && plan.Totals.Chunks == plan.Plan.Chunks.Count;
        timings.Seconds["wall_s"] = wall.Elapsed.TotalSeconds;
        var summary = RunSummary.Build(plan.Totals, plan.Plan.Languages.Count, plan.Plan.Chunks.Count, complete,
            request.Shard.Index, request.Shard.Count, timings);
        // A shard holds part of the facts: statistics over all of them wait for `pipeline merge`.
        if (complete && !request.Shard.IsSharded)
            ReducePhase.Run(run, summary, ct);

        RunSummary.Write(run.SummaryPath(request.Shard), summary);
        log.LogInformation("summary written to {Path}", run.SummaryPath(request.Shard));
        RunSummary.Print(summary, Console.Error);
        // The report reads what the summary just wrote; a shard's waits for `pipeline merge`, as the reduce does.
        // Its own time can only be written after it, so summary.json is written again with report_s.
        if (request.Report && complete && !request.Shard.IsSharded)
        {
            summary["report_s"] = Math.Round(ReportPhase.Run(run, log), 3);
            RunSummary.Write(run.SummaryPath(request.Shard), summary);
        }
        Console.Error.WriteLine($"run folder: {run.Path}");
        return (graph.Interrupted ? ExitCodes.Interrupted : ExitCodes.Ok, run.Path);
    }

    private static T Timed<T>(RunSummary.Timings timings, string key, Func<T> phase)
    {
        var clock = Stopwatch.StartNew();
        var result = phase();
        timings.Seconds[key] = clock.Elapsed.TotalSeconds;
        return result;
    }
}
