namespace KnPipeline.Stages.Tokenization;

/// <summary>The figures of one <see cref="DataThroughputBench"/> run.</summary>
/// <param name="Queries">Tokenized queries written.</param>
/// <param name="Seconds">Wall-clock time of expansion + tokenization + writing.</param>
/// <param name="PeakMb">The process's peak working set, in MiB (Process.PeakWorkingSet64).</param>
/// <param name="PartBytes">Size of the Parquet part written.</param>
/// <param name="RowGroups">Row groups in the part.</param>
/// <param name="Tokenizer">Which tokenizer was used.</param>
public sealed record DataBenchResult(long Queries, double Seconds, double PeakMb, long PartBytes, int RowGroups,
    string Tokenizer)
{
    public double QueriesPerSecond => Seconds > 0 ? Queries / Seconds : 0;
}
