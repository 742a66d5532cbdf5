using System.Globalization;
using KnPipeline.Export;
using KnPipeline.Stages.Records;

namespace KnPipeline.Bench;

/// <summary>
/// <c>pipeline bench editing</c>: a real <c>pipeline run</c> that edits every fact of an N-fact synthetic benchmark,
/// in a child process sampled from outside as <see cref="LongRunBench"/> samples the long memory run. The edits run
/// on the device thread chunk by chunk and are written as they come, so the peak should not grow with N.
/// </summary>
public static class EditingBench
{
    /// <summary>
    /// One size's figures: <see cref="RssMb"/> at 10%, 50% and 100% of the chunks; <see cref="PeakMb"/> the child's
    /// VmHWM at exit, <see cref="GraphPeakMb"/> its VmHWM at the first sample that saw every chunk done, before the
    /// reduce phase (which reads the whole <c>edits</c> table back to aggregate it).
    /// </summary>
    public sealed record Figures(long Facts, long Edits, long Queries, int Chunks, double PeakMb, double GraphPeakMb,
        double[] RssMb, double Seconds, double SetupSeconds)
    {
        public double EditsPerSecond => Edits / Seconds;
    }

    /// <summary>
    /// The editing section of the bench config. Every fact is sampled (the sample is per relation, and N facts
    /// spread over 20 relations), none goes to the dev split, and without dev facts there is nothing to tune, so the
    /// evaluation uses the configured β₂, t and λ₂; localization and the consistency study stay on, as by default.
    /// </summary>
    public static IReadOnlyList<string> Config(long facts) =>
    [
        "editing:",
        $"  facts_per_relation: {Math.Max(facts, 1).ToString(CultureInfo.InvariantCulture)}",
        "  dev_share: 0",
        "  tune: false",
    ];

    /// <summary>
    /// Writes the inputs for <paramref name="facts"/> facts with the rigged model (see
    /// <see cref="LongRunInputs"/>: every fact is answered in one language), runs the child and counts the rows of
    /// its <c>edits</c> table.
    /// </summary>
    public static Figures Run(long facts, string? workDir = null, bool keep = false, TextWriter? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(facts, 1);
        long edits = -1;
        var f = LongRunBench.Run(root => LongRunInputs.Write(root, 1, facts, answered: true, Config(facts)), workDir,
            keep, progress, run => edits = TableReader.CountAsync(run, TableRegistry.Edits).GetAwaiter().GetResult());
        // A short run can finish its last chunk between two samples: the latest sample stands for it then.
        var done = f.Samples.FirstOrDefault(s => s.Chunks >= f.Chunks, f.Samples[^1]);
        return new Figures(f.Facts, edits, f.Queries, f.Chunks, f.PeakMb, done.PeakMb, f.RssMb, f.Seconds,
            f.SetupSeconds);
    }
}
