namespace KnPipeline.Stages.QueryExpansion;

/// <summary>What <see cref="QueryExpander"/> expands.</summary>
public sealed record QueryExpansionOptions
{
    /// <summary>Languages to keep; null or empty keeps all.</summary>
    public IReadOnlyCollection<string>? Languages { get; init; }

    /// <summary>Relations to keep; null or empty keeps all.</summary>
    public IReadOnlyCollection<string>? Relations { get; init; }

    /// <summary>
    /// At most this many distinct facts per relation (0 = all). The sample is the facts with the smallest
    /// <see cref="Records.StableHash.Mixed"/>(seed, fact_id): deterministic, independent of file order, and the
    /// same fact ids in every language (a language lacking some of them gets fewer).
    /// </summary>
    public int FactsPerRelation { get; init; }

    /// <summary>Seed of the fact sample.</summary>
    public long Seed { get; init; }

    public TemplateSplitFilter Split { get; init; } = TemplateSplitFilter.All;

    /// <summary>Causal skips templates whose [Y] comes before [X] (counted as <c>subject_after_object</c>).</summary>
    public ModelKind ModelKind { get; init; } = ModelKind.Causal;
}
