namespace KnPipeline.Stages.Options;

/// <summary>Which facts of the benchmark a run uses (<c>data.split</c>).</summary>
public enum DataSplit
{
    Train,
    Heldout,
    All,
}
