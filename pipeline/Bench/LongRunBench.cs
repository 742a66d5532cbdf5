using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using KnPipeline.Runs;

namespace KnPipeline.Bench;

/// <summary>
/// The long case of <c>pipeline bench memory</c>: a real <c>pipeline run</c> of a million synthetic queries
/// (<see cref="LongRunInputs"/>) in a child process, through the real graph and run folder, with the child's resident
/// set read from <c>/proc/&lt;pid&gt;/status</c> while its done markers are counted. What a run keeps per fact or per
/// chunk shows as the resident set growing between 10% and 100% of the chunks; what it keeps per batch shows as the
/// gap between the resident set and its peak.
/// </summary>
public static class LongRunBench
{
    /// <summary>The fractions of the planned chunks at which the resident set is recorded.</summary>
    public static readonly double[] Marks = [0.1, 0.5, 1.0];

    /// <summary>One sample: seconds since the child started, done markers, resident and peak resident MB.</summary>
    public readonly record struct Sample(double Seconds, int Chunks, double RssMb, double PeakMb);

    /// <summary>
    /// The long run's figures. <see cref="RssMb"/> holds the resident set at each of <see cref="Marks"/>;
    /// <see cref="Queries"/> is the summary's <c>queries_attributed</c>; <see cref="Seconds"/> the child's wall time.
    /// </summary>
    public sealed record Figures(long Queries, long Facts, int Chunks, double[] RssMb, double PeakMb, double Seconds,
        double SetupSeconds, IReadOnlyList<Sample> Samples)
    {
        /// <summary>Growth of the resident set from the first mark to the last, as a fraction.</summary>
        public double Growth => RssMb[^1] / RssMb[0] - 1;
    }

    /// <summary>
    /// Sampling period. A chunk takes 0.1–0.4 s at the default size, and the child exits within a fraction of a
    /// second of its last marker, so 20 ms sees every mark; reading /proc and listing the chunks folder costs well
    /// under a millisecond, so the sampler takes nothing measurable from the child on two cores.
    /// </summary>
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Writes the inputs for <paramref name="queries"/> queries under <paramref name="workDir"/> (deleted afterwards
    /// unless <paramref name="keep"/>), runs the child and samples it.
    /// </summary>
    public static Figures Run(long queries, string? workDir = null, bool keep = false, TextWriter? progress = null) =>
        Run(root => LongRunInputs.Write(root, queries), workDir, keep, progress, null);

    /// <summary>
    /// The same with the inputs <paramref name="write"/> puts under the root; <paramref name="inspect"/> reads the
    /// finished run folder before it is deleted (<c>pipeline bench editing</c> counts its edits there).
    /// </summary>
    public static Figures Run(Func<string, LongRunInputs.Layout> write, string? workDir, bool keep,
        TextWriter? progress, Action<RunFolder>? inspect)
    {
        // A folder of an earlier bench would hold its done markers, and the child would resume instead of running.
        if (workDir != null && Directory.Exists(workDir) && Directory.EnumerateFileSystemEntries(workDir).Any())
            throw new UsageException($"{workDir} is not empty: the long run needs a new or empty folder");
        string root = workDir ?? Directory.CreateTempSubdirectory("kn-bench-memory-").FullName;
        Directory.CreateDirectory(root);
        try
        {
            var setup = Stopwatch.StartNew();
            var layout = write(root);
            double setupSeconds = setup.Elapsed.TotalSeconds;
            progress?.WriteLine($"long run: {layout.Facts} facts, {layout.Queries} queries in {layout.Chunks} chunks " +
                                $"(inputs written in {setupSeconds:F1} s)");
            string runDir = Path.Combine(root, "run");
            var (samples, seconds) = RunChild(layout.ConfigPath, runDir, layout.Chunks, progress);
            var marks = Marks.Select(m => Level(samples, layout.Chunks, m)).ToArray();
            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "summary.json")))!;
            long attributed = summary["queries_attributed"]!.GetValue<long>();
            // The marks are fractions of the planned chunks: a plan that differs from the child's would misplace them.
            if (summary["chunks"]!.GetValue<int>() != layout.Chunks)
                throw new InvalidOperationException(
                    $"the child planned {summary["chunks"]} chunks, the bench {layout.Chunks}");
            inspect?.Invoke(new RunFolder(runDir));
            return new Figures(attributed, layout.Facts, layout.Chunks, marks, samples.Max(s => s.PeakMb), seconds,
                setupSeconds, samples);
        }
        finally
        {
            if (!keep)
                Directory.Delete(root, true);
        }
    }

    private static (List<Sample> Samples, double Seconds) RunChild(string config, string runDir, int chunks,
        TextWriter? progress)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            psi.ArgumentList.Add(typeof(LongRunBench).Assembly.Location);
        // The report is a phase after the graph: its memory is not the run's, so the child skips it.
        foreach (var a in new[] { "run", "--config", config, "--run-dir", runDir, "--no-report" })
            psi.ArgumentList.Add(a);
        // The summary table and any warning go to stderr; the last lines say why a failed child failed.
        var tail = new Queue<string>();
        void Keep(string? line)
        {
            if (line is null)
                return;
            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > 30)
                    tail.Dequeue();
            }
        }

        var samples = new List<Sample>();
        int next = 0;
        var clock = Stopwatch.StartNew();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => Keep(e.Data);
        p.ErrorDataReceived += (_, e) => Keep(e.Data);
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var run = new RunFolder(runDir);
        while (!p.WaitForExit(Period))
        {
            if (ReadStatus(p.Id) is not { } s)
                continue;
            int done = CountMarkers(run.ChunksDir);
            samples.Add(new Sample(clock.Elapsed.TotalSeconds, done, s.Rss, s.Peak));
            for (; next < Marks.Length && done >= Target(Marks[next], chunks); next++)
                progress?.WriteLine($"  {100 * Marks[next],3:F0}% of chunks done after " +
                                    $"{clock.Elapsed.TotalSeconds,6:F1} s: RSS {s.Rss:F0} MB (peak {s.Peak:F0} MB)");
        }
        p.WaitForExit();
        double seconds = clock.Elapsed.TotalSeconds;
        if (p.ExitCode != 0)
        {
            string why;
            lock (tail)
                why = string.Join('\n', tail);
            throw new InvalidOperationException($"the long-run child failed with exit code {p.ExitCode}:\n{why}");
        }
        if (samples.Count == 0)
            throw new InvalidOperationException("the long-run child exited before it could be sampled");
        return (samples, seconds);
    }

    private static int Target(double fraction, int chunks) => (int)Math.Ceiling(fraction * chunks);

    /// <summary>
    /// The resident set when <paramref name="fraction"/> of <paramref name="chunks"/> are done: the median of the
    /// samples over the last 2% of chunks up to that point (at least one chunk). One sample would carry whatever the
    /// chunk in flight holds at that instant, ±20 MB on the million-query run; the median over a window shows the
    /// level. The child can exit between two samples after its last marker, so the window's samples before the mark
    /// suffice.
    /// </summary>
    public static double Level(IReadOnlyList<Sample> samples, int chunks, double fraction)
    {
        int target = Target(fraction, chunks), from = target - Math.Max(1, Target(0.02, chunks));
        var window = samples.Where(s => s.Chunks >= from && s.Chunks <= target).Select(s => s.RssMb).Order().ToList();
        // On a fast machine a short run can finish its last chunks between two samples: the latest sample before
        // the mark is then the level there.
        if (window.Count == 0 && samples.Any(s => s.Chunks <= target))
            window = [samples.Last(s => s.Chunks <= target).RssMb];
        if (window.Count == 0)
            throw new InvalidOperationException($"no sample at or before {target} chunks done");
        int mid = window.Count / 2;
        return window.Count % 2 == 1 ? window[mid] : (window[mid - 1] + window[mid]) / 2;
    }

    private static int CountMarkers(string dir)
    {
        try
        {
            return Directory.Exists(dir) ? Directory.EnumerateFiles(dir, "*.done.json").Count() : 0;
        }
        catch (DirectoryNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>VmRSS and VmHWM of a process in MB, or null when it is gone.</summary>
    public static (double Rss, double Peak)? ReadStatus(int pid)
    {
        try
        {
            double rss = -1, peak = -1;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    rss = Kilobytes(line) / 1024.0;
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    peak = Kilobytes(line) / 1024.0;
            }
            return rss < 0 || peak < 0 ? null : (rss, peak);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long Kilobytes(string line) =>
        long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
}
