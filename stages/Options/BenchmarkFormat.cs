namespace KnPipeline.Stages.Options;

/// <summary>Record layout of the benchmark in <c>data.source</c> (<c>data.format</c>); one loader per format.</summary>
public enum BenchmarkFormat
{
    Pararel,
    Mpararel,
    Heng840,
    Mlama,
    RmlLama,
}
