using System.ComponentModel.DataAnnotations;
using KnPipeline.Stages.Attribution;

namespace KnPipeline.Stages.Options;

/// <summary>The <c>attribution:</c> section: integrated gradients over FFN neurons (docs/architecture.md, Definitions
/// and Speed).</summary>
public sealed class AttributionOptions
{
    public const string SectionName = "attribution";

    /// <summary>m, the number of integration points.</summary>
    [Range(1, 1000)]
    public int Steps { get; set; } = 20;

    public IntegrationRule Rule { get; set; } = IntegrationRule.Right;

    /// <summary>
    /// Rule adaptive: the largest relative completeness gap |gap| / |F(a) − F(b)| a (query, layer) path may keep.
    /// </summary>
    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double Tolerance { get; set; } = 0.01;

    /// <summary>Rule adaptive: most integration points one (query, layer) path may spend.</summary>
    [Range(AdaptivePath.FirstPoints, 1000)]
    public int MaxSteps { get; set; } = 64;

    public AttributionObjective Objective { get; set; } = AttributionObjective.Prob;

    /// <summary>
    /// The localization methods, each IG from its own baseline (<see cref="AttributionMethod"/>): every query is
    /// attributed once per method in the same run, and the tables carry a <c>method</c> column. The first one is the
    /// run's main method: the summary's attribution counters and the report's figures are over it. Replaces
    /// <c>attribution.baseline</c> (zero → dai). AMIG's own code multiplies by a_i where we multiply by a_i − b̄_i.
    /// </summary>
    public IReadOnlyList<AttributionMethod> Methods { get; set; } = [AttributionMethod.Dai, AttributionMethod.Amig];

    public AttributionTarget Target { get; set; } = AttributionTarget.FirstToken;

    /// <summary>Layer indices to attribute; empty = all layers.</summary>
    [ItemRange(0, int.MaxValue)]
    public IReadOnlyList<int> Layers { get; set; } = [];

    public AttributionAlgorithm Algorithm { get; set; } = AttributionAlgorithm.Fast;

    /// <summary>Neurons kept per query and layer in the compact output.</summary>
    [Range(1, 100_000)]
    public int TopK { get; set; } = 20;

    /// <summary>Also store every neuron's score (large), not only the top-k.</summary>
    public bool KeepFull { get; set; } = true;

    public LocalizeMode Localize { get; set; } = LocalizeMode.Correct;

    /// <summary>t in "coarse KN: attr &gt; t · max".</summary>
    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double KnThreshold { get; set; } = 0.2;

    /// <summary>Rows (query × layer × α) per device batch.</summary>
    [Range(1, 1_000_000)]
    public int BatchRows { get; set; } = 480;

    /// <summary>Token budget per device batch; 0 = rows only.</summary>
    [Range(0, int.MaxValue)]
    public int BatchTokens { get; set; }

    /// <summary>
    /// On a CPU, each device batch is cut into this many contiguous slices, run side by side by single-threaded
    /// workers; set it to the core count. A setting rather than the machine's core count, because the slices and the
    /// thread count decide the float sums.
    /// </summary>
    [Range(1, 256)]
    public int CpuWorkers { get; set; } = 2;

    public IEnumerable<OptionError> Validate()
    {
        foreach (var e in OptionChecks.Check(this, SectionName))
            yield return e;
        if (Rule == IntegrationRule.Trapezoid && Steps == 1)
            yield return new OptionError($"{SectionName}.steps", "must be at least 2 with rule trapezoid; got 1");
        if (Methods is { Count: 0 })
            yield return new OptionError($"{SectionName}.methods", "must list at least one method (dai, amig, " +
                                                                   "dataset-mean)");
        var methods = new HashSet<AttributionMethod>();
        for (int i = 0; i < (Methods?.Count ?? 0); i++)
            if (!methods.Add(Methods![i]))
                yield return new OptionError($"{SectionName}.methods[{i}]",
                    $"method {OptionChecks.Show(Methods[i])} is listed twice");
        var seen = new HashSet<int>();
        for (int i = 0; i < (Layers?.Count ?? 0); i++)
            if (!seen.Add(Layers![i]))
                yield return new OptionError($"{SectionName}.layers[{i}]", $"layer {Layers[i]} is listed twice");
    }
}
