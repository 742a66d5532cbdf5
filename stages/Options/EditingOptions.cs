using System.ComponentModel.DataAnnotations;

namespace KnPipeline.Stages.Options;

/// <summary>What the consistency-aware score averages over a fact's correct queries.</summary>
public enum CasScore
{
    /// <summary>The normalized attribution Ã (our choice: the only public wording names "mean activation").</summary>
    Attribution,

    /// <summary>The neuron activation at the prediction position.</summary>
    Activation,
}

/// <summary>Which embedding row e(o) the update rule adds and removes on a model with an untied head.</summary>
public enum UntiedEmbedding
{
    /// <summary>The input embedding, as Dai et al.'s code does (BERT is tied, so they never had to choose).</summary>
    Input,

    /// <summary>The output embedding (the head's row).</summary>
    Output,
}

/// <summary>
/// The <c>editing:</c> section: KN sets turned into edits (suppress, enhance, erase, update) and scored before and
/// after each (docs/architecture.md, Editing; DESIGN §2). λ, β and the selection threshold are the values before
/// tuning; the dev split of facts chooses the ones the evaluation uses.
/// </summary>
public sealed class EditingOptions
{
    public const string SectionName = "editing";

    /// <summary>Run the edits on the device after the per-fact analyses.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Facts edited per relation (seeded sample); a whole benchmark is a config change.</summary>
    [Range(1, int.MaxValue)]
    public int FactsPerRelation { get; set; } = 2;

    /// <summary>Correct queries of each fact that are edited (seeded sample).</summary>
    [Range(1, 1000)]
    public int QueriesPerFact { get; set; } = 1;

    /// <summary>Share of each relation's sampled facts in the dev split, where hyperparameters are tuned.</summary>
    [Range(0.0, 1.0, MaximumIsExclusive = true)]
    public double DevShare { get; set; } = 0.25;

    /// <summary>λ₁: how much of e(old) the update removes, scaled by ‖v‖/‖e(old)‖.</summary>
    [Range(0.0, 1000.0)]
    public double Lambda1 { get; set; } = 1.0;

    /// <summary>λ₂: how much of e(new) the update adds, scaled by ‖v‖/‖e(new)‖.</summary>
    [Range(0.0, 1000.0)]
    public double Lambda2 { get; set; } = 8.0;

    /// <summary>The λ₂ values of the dev trade-off curve (reliability against locality).</summary>
    public IReadOnlyList<double> Lambda2Grid { get; set; } = [1.0, 2.0, 4.0, 8.0, 16.0];

    /// <summary>Choose β₂, t and λ₂ on the dev split (otherwise the values above are used as given).</summary>
    public bool Tune { get; set; } = true;

    /// <summary>The β₂ values the dev split tries (β₁ stays: only the ratio β₂/β₁ changes the selection).</summary>
    public IReadOnlyList<double> Beta2Grid { get; set; } = [0.0, 0.5, 1.0, 2.0];

    /// <summary>The t values the dev split tries (ignored with top-k).</summary>
    public IReadOnlyList<double> ThresholdGrid { get; set; } = [0.1, 0.2, 0.4];

    /// <summary>β₁ in β₁·μ − β₂·σ; positive, or no neuron could score above zero.</summary>
    [Range(0.0, 100.0, MinimumIsExclusive = true)]
    public double Beta1 { get; set; } = 1.0;

    /// <summary>β₂: the weight of inconsistency (σ over the fact's queries) against the mean.</summary>
    [Range(0.0, 100.0)]
    public double Beta2 { get; set; } = 1.0;

    public CasScore CasScore { get; set; } = CasScore.Attribution;

    /// <summary>t: the consistency-aware selection keeps scores above t · max (when top-k is 0).</summary>
    [Range(0.0, 1.0, MaximumIsExclusive = true)]
    public double SelectionThreshold { get; set; } = 0.2;

    /// <summary>k: keep the k highest-scoring neurons instead of thresholding; 0 thresholds.</summary>
    [Range(0, 1_000_000)]
    public int SelectionTopK { get; set; }

    public UntiedEmbedding UntiedEmbedding { get; set; } = UntiedEmbedding.Input;

    /// <summary>Unrelated facts in the fixed, seeded locality probe set.</summary>
    [Range(1, 100_000)]
    public int ProbeFacts { get; set; } = 50;

    /// <summary>Tokens of the fixed non-training text whose perplexity each edit reports before and after.</summary>
    [Range(2, 10_000_000)]
    public int PplTokens { get; set; } = 512;

    /// <summary>A copy with some of the tuned values replaced (the grids and everything else shared).</summary>
    public EditingOptions With(double? beta2 = null, double? threshold = null, double? lambda2 = null)
    {
        var copy = (EditingOptions)MemberwiseClone();
        copy.Beta2 = beta2 ?? Beta2;
        copy.SelectionThreshold = threshold ?? SelectionThreshold;
        copy.Lambda2 = lambda2 ?? Lambda2;
        return copy;
    }

    public IEnumerable<OptionError> Validate()
    {
        foreach (var e in OptionChecks.Check(this, SectionName))
            yield return e;
        foreach (var e in Grid("lambda2_grid", Lambda2Grid, 0, 1000, "[1, 2, 4, 8, 16]"))
            yield return e;
        foreach (var e in Grid("beta2_grid", Beta2Grid, 0, 100, "[0, 0.5, 1, 2]"))
            yield return e;
        foreach (var e in Grid("threshold_grid", ThresholdGrid, 0, 0.999999, "[0.1, 0.2, 0.4]"))
            yield return e;
    }

    private static IEnumerable<OptionError> Grid(string name, IReadOnlyList<double>? grid, double min, double max,
        string example)
    {
        string key = $"{SectionName}.{name}";
        if (grid is null || grid.Count == 0)
            yield return new OptionError(key, $"must list at least one value, e.g. {example}");
        else
            foreach (double v in grid.Where(v => !(v >= min && v <= max)))
                yield return new OptionError(key, $"{OptionChecks.Show(v)} is outside {min}..{max}");
    }
}
