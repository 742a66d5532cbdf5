namespace KnPipeline.Stages.Attribution;

/// <summary>
/// Quadrature rule of integrated gradients (<c>attribution.rule</c>); docs/architecture.md (Definitions) gives the
/// nodes and weights of each. <see cref="IgRule"/> turns the fixed rules into points; <see cref="AdaptivePath"/> runs
/// the adaptive one.
/// </summary>
public enum IntegrationRule
{
    /// <summary>α_k = k/m, k = 0..m−1, w_k = 1/m.</summary>
    Left,

    /// <summary>α_k = k/m, k = 1..m, w_k = 1/m (Dai et al.; the default).</summary>
    Right,

    /// <summary>α_k = k/(m−1), k = 0..m−1, w_k = 1/(m−1) with both ends halved; needs m ≥ 2.</summary>
    Trapezoid,

    /// <summary>α_k = (1+x_k)/2, w_k = v_k/2 from the m-point Gauss–Legendre nodes x and weights v.</summary>
    GaussLegendre,

    /// <summary>
    /// Composite 5-point Gauss–Lobatto panels, bisected per (query, layer) path until the relative completeness gap
    /// is at most <c>attribution.tolerance</c> or <c>attribution.max_steps</c> points are spent; ignores steps.
    /// </summary>
    Adaptive,
}
