using System.ComponentModel.DataAnnotations;

namespace KnPipeline.Stages.Options;

/// <summary>Which attention rows a knowledge-synapse intervention scales.</summary>
public enum SynapseRows
{
    /// <summary>The prediction position's row only.</summary>
    Prediction,

    /// <summary>Every row.</summary>
    All,
}

/// <summary>
/// The <c>synapses:</c> section: QL's "knowledge synapses" (docs/architecture.md, Query localization). The paper
/// gives none of these values; they are ours.
/// </summary>
public sealed class SynapseOptions
{
    public const string SectionName = "synapses";

    /// <summary>Scale high-attention columns and measure the KN activations and target probability.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Columns per head, ranked by the prediction row's attention weights.</summary>
    [Range(1, 64)]
    public int TopK { get; set; } = 1;

    /// <summary>Factors the chosen post-softmax weights are scaled by (0 = knockout).</summary>
    public IReadOnlyList<double> Alphas { get; set; } = [0.0, 2.0];

    public SynapseRows Rows { get; set; } = SynapseRows.Prediction;

    /// <summary>Renormalize each scaled row to sum to 1.</summary>
    public bool Renormalize { get; set; } = true;

    public IEnumerable<OptionError> Validate()
    {
        foreach (var e in OptionChecks.Check(this, SectionName))
            yield return e;
        if (Alphas is null || Alphas.Count == 0)
            yield return new OptionError($"{SectionName}.alphas", "must list at least one factor, e.g. [0, 2]");
        else
            foreach (double a in Alphas.Where(a => !(a >= 0 && a <= 100)))
                yield return new OptionError($"{SectionName}.alphas", $"{a} is outside 0..100");
    }
}
