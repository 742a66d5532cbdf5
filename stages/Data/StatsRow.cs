namespace KnPipeline.Stages.Data;

/// <summary>The counts of one language or relation in <see cref="BenchmarkStats"/>.</summary>
/// <param name="Facts">Valid facts whose relation has a template in their language.</param>
/// <param name="Templates">Valid templates.</param>
/// <param name="QueriesCausal">Fact × template pairs with [X] before [Y] (what a causal LM can use).</param>
/// <param name="QueriesMasked">All fact × template pairs.</param>
public sealed record StatsRow(long Facts, long Templates, long QueriesCausal, long QueriesMasked);
