namespace KnPipeline.Stages.Attribution;

/// <summary>
/// The integration rules of docs/architecture.md (Definitions): the points α_k at which the gradient is taken and their
/// weights w_k.
/// <c>right</c> α_k = k/m (k = 1..m), w = 1/m; <c>left</c> α_k = k/m (k = 0..m−1), w = 1/m; <c>trapezoid</c>
/// α_k = k/(m−1) (k = 0..m−1), w = 1/(m−1) with both ends halved (captum's riemann_trapezoid is (m−1)/m of this);
/// <c>gauss-legendre</c> α_k = (1+x_k)/2, w_k = v_k/2 from the m-point Gauss–Legendre rule on [−1, 1].
/// </summary>
public static class IgRule
{
    public static (double[] Alphas, double[] Weights) Points(IntegrationRule rule, int steps)
    {
        if (steps < 1)
            throw new ArgumentOutOfRangeException(nameof(steps), "at least one step is needed");
        int m = steps;
        switch (rule)
        {
            case IntegrationRule.Right:
                return (Enumerable.Range(1, m).Select(k => (double)k / m).ToArray(),
                    Enumerable.Repeat(1.0 / m, m).ToArray());
            case IntegrationRule.Left:
                return (Enumerable.Range(0, m).Select(k => (double)k / m).ToArray(),
                    Enumerable.Repeat(1.0 / m, m).ToArray());
            case IntegrationRule.Trapezoid:
            {
                if (m < 2)
                    throw new ArgumentOutOfRangeException(nameof(steps), "the trapezoid rule needs at least 2 steps");
                var a = Enumerable.Range(0, m).Select(k => (double)k / (m - 1)).ToArray();
                var w = Enumerable.Repeat(1.0 / (m - 1), m).ToArray();
                w[0] /= 2;
                w[^1] /= 2;
                return (a, w);
            }
            case IntegrationRule.GaussLegendre:
            {
                var (x, v) = GaussLegendre(m);
                return (x.Select(t => (1 + t) / 2).ToArray(), v.Select(t => t / 2).ToArray());
            }
            default:
                // Adaptive chooses its points per path as it goes (AdaptivePath).
                throw new ArgumentOutOfRangeException(nameof(rule), $"rule {rule} has no fixed points");
        }
    }

    /// <summary>Nodes (ascending) and weights of the m-point Gauss–Legendre rule on [−1, 1], by Newton's
    /// method.</summary>
    public static (double[] Nodes, double[] Weights) GaussLegendre(int m)
    {
        var x = new double[m];
        var w = new double[m];
        for (int i = 0; i < (m + 1) / 2; i++)
        {
            double z = Math.Cos(Math.PI * (i + 0.75) / (m + 0.5));
            double dp = 0;
            for (int iter = 0; iter < 100; iter++)
            {
                double p0 = 1, p1 = 0;
                for (int j = 1; j <= m; j++)
                {
                    double p2 = p1;
                    p1 = p0;
                    p0 = ((2 * j - 1) * z * p1 - (j - 1) * p2) / j;
                }
                dp = m * (z * p0 - p1) / (z * z - 1);
                double dz = p0 / dp;
                z -= dz;
                if (Math.Abs(dz) < 1e-16)
                    break;
            }
            x[i] = -z;
            x[m - 1 - i] = z;
            w[i] = w[m - 1 - i] = 2 / ((1 - z * z) * dp * dp);
        }
        return (x, w);
    }
}
