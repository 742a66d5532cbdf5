namespace KnPipeline.Stages.Attribution;

/// <summary>
/// The adaptive rule (<c>rule: adaptive</c>) for one (query, layer) path: composite 5-point Gauss–Lobatto panels on
/// [0, 1], bisected where the path's own completeness gap says the quadrature is wrong, until
/// |gap| ≤ tolerance·|F(a) − F(b)| or the next bisection would pass <c>max_steps</c> points (then the path is flagged
/// <see cref="Met"/> = false and kept).
/// <para>
/// Why Lobatto panels: the completeness gap is the only error measure IG has, and it is exact (F is evaluated at every
/// row anyway). Lobatto nodes include both ends of a panel, so every panel has its own local gap,
/// Σ_k w_k ∇F(α_k)·(a − b) − (F(hi) − F(lo)), the local gaps add up to the path's gap, and a bisection refines only
/// the steep part of the path. The 5-point rule is exact for degree 7, like the 4 Gauss–Legendre points that the issue
/// measured as exact on smooth layers of the embedded model (relative gap &lt; 1e-4), at the same cost (the α = 0
/// node is also the F(b) row that the fixed rules add). Its centre is the shared end of the two halves, so a
/// bisection costs 6 new points, not 10. MEASURE
/// Nested trapezoid doubling reuses every point but converges as h², so a steep path spends more points than on
/// panels of degree 7.
/// </para>
/// A path is a deterministic function of the values it is given: the same values always ask for the same points.
/// </summary>
public sealed class AdaptivePath
{
    /// <summary>Points of the first rule (one Lobatto panel over [0, 1]).</summary>
    public const int FirstPoints = 5;

    /// <summary>New points one bisection asks for (3 inner nodes in each half).</summary>
    public const int PointsPerBisection = 6;

    // Inner Lobatto nodes sit at ±√(3/7) on [−1, 1], i.e. at 1/2 ∓ C of a panel; weights on [−1, 1] are 1/10, 49/90,
    // 32/45, halved for a panel of width 1.
    private static readonly double C = Math.Sqrt(3.0 / 7.0) / 2;
    private const double WEnd = 1.0 / 20, WInner = 49.0 / 180, WMid = 16.0 / 45;

    /// <summary>The first rule's points and weights (one panel over [0, 1]).</summary>
    public static IReadOnlyList<double> FirstAlphas => [0, 0.5 - C, 0.5, 0.5 + C, 1];

    public static IReadOnlyList<double> FirstWeights => [WEnd, WInner, WMid, WInner, WEnd];

    private readonly double[] _diff;
    private readonly double _fa;
    private readonly double _tolerance;
    private readonly int _maxSteps;
    private readonly List<Panel> _panels = [];
    private List<double> _pending;

    /// <param name="diff">a − b, the direction of the path (gradients are dotted with it).</param>
    /// <param name="fa">F(a), from the unmodified pass.</param>
    public AdaptivePath(IReadOnlyList<float> diff, double fa, double tolerance, int maxSteps)
    {
        if (maxSteps < FirstPoints)
            throw new ArgumentOutOfRangeException(nameof(maxSteps), $"the adaptive rule needs at least {FirstPoints} points");
        _diff = diff.Select(x => (double)x).ToArray();
        _fa = fa;
        _tolerance = tolerance;
        _maxSteps = maxSteps;
        _pending = [.. FirstAlphas];
    }

    /// <summary>The α points this path needs evaluated next, in groups of 5 (first) or 6 (each bisection); empty when done.</summary>
    public IReadOnlyList<double> Pending => _pending;

    public bool Done => _pending.Count == 0;

    /// <summary>Points evaluated so far (device rows spent on this path, including the inner nodes bisections dropped).</summary>
    public int Points { get; private set; }

    /// <summary>True when |gap| ≤ tolerance·|F(a) − F(b)|; false for a path stopped by max_steps (or non-finite).</summary>
    public bool Met { get; private set; }

    /// <summary>Bisection rounds run so far.</summary>
    public int Rounds { get; private set; }

    /// <summary>F(b), the value at α = 0 (NaN before the first values arrive).</summary>
    public double FBaseline => _panels.Count > 0 ? _panels[0].Lo.F : double.NaN;

    /// <summary>Σ_k w_k ∇F(α_k)·(a − b) over every panel: the path's estimate of F(a) − F(b).</summary>
    public double Integral => _panels.Sum(p => p.Integral);

    /// <summary>The completeness gap of the quadrature, Integral − (F(a) − F(b)).</summary>
    public double Gap => Integral - (_fa - FBaseline);

    /// <summary>Takes F and ∇F at the <see cref="Pending"/> points (same order) and decides what comes next.</summary>
    public void Accept(IReadOnlyList<double> f, IReadOnlyList<float[]> grad)
    {
        if (f.Count != _pending.Count || grad.Count != _pending.Count)
            throw new ArgumentException($"expected values at {_pending.Count} points, got {f.Count} and {grad.Count}");
        var nodes = _pending.Select((a, k) => new Node(a, f[k], grad[k], Dot(grad[k]))).ToList();
        Points += nodes.Count;
        if (_panels.Count == 0)
            _panels.Add(new Panel(nodes[0], nodes[1], nodes[2], nodes[3], nodes[4]));
        else
            Bisect(nodes);
        Decide();
    }

    /// <summary>Σ_k w_k ∇F(α_k), the weighted gradient sum whose product with a − b is the attribution.</summary>
    public double[] WeightedGradient()
    {
        var sum = new double[_diff.Length];
        foreach (var p in _panels)
        {
            double h = p.Width;
            Add(sum, p.Lo.G, h * WEnd);
            Add(sum, p.InnerLo.G, h * WInner);
            Add(sum, p.Mid.G, h * WMid);
            Add(sum, p.InnerHi.G, h * WInner);
            Add(sum, p.Hi.G, h * WEnd);
        }
        return sum;
    }

    /// <summary>
    /// Runs a scalar path to the end: <paramref name="f"/>(α) gives F and dF/dα (a − b = 1). For tests and for
    /// checking the rule on functions whose integral is known.
    /// </summary>
    public static AdaptivePath Integrate(Func<double, (double F, double G)> f, double tolerance, int maxSteps)
    {
        var path = new AdaptivePath([1f], f(1).F, tolerance, maxSteps);
        while (!path.Done)
        {
            var values = path.Pending.Select(f).ToList();
            path.Accept(values.Select(v => v.F).ToList(), values.Select(v => new[] { (float)v.G }).ToList());
        }
        return path;
    }

    private void Decide()
    {
        _pending = [];
        double gap = Gap, budget = _tolerance * Math.Abs(_fa - FBaseline);
        if (!double.IsFinite(gap))
            return;
        if (Math.Abs(gap) <= budget)
        {
            Met = true;
            return;
        }
        // A panel is refined when its local gap exceeds its share of the budget (by width): if no panel did, the sum
        // of the local gaps, which is the gap, would meet the tolerance. The worst panels go first when max_steps
        // leaves room for only some; ties go to the leftmost, so the choice is a function of the values alone.
        var order = _panels.Select((p, i) => (p, i)).Where(x => Math.Abs(x.p.LocalGap) > budget * x.p.Width)
                           .OrderByDescending(x => Math.Abs(x.p.LocalGap)).ThenBy(x => x.i).ToList();
        if (order.Count == 0)
            order = [_panels.Select((p, i) => (p, i)).MaxBy(x => Math.Abs(x.p.LocalGap))];
        int room = (_maxSteps - Points) / PointsPerBisection;
        foreach (var (p, _) in order.Take(room).OrderBy(x => x.i))
        {
            double half = p.Width / 2;
            foreach (double lo in new[] { p.Lo.Alpha, p.Mid.Alpha })
                _pending.AddRange([lo + half * (0.5 - C), lo + half * 0.5, lo + half * (0.5 + C)]);
        }
        if (_pending.Count > 0)
            Rounds++;
    }

    // Each group of 6 nodes refines the panel whose inner range holds them: halves [lo, mid] and [mid, hi].
    private void Bisect(List<Node> nodes)
    {
        for (int g = 0; g < nodes.Count; g += PointsPerBisection)
        {
            int i = _panels.FindIndex(p => p.Lo.Alpha < nodes[g].Alpha && nodes[g].Alpha < p.Mid.Alpha);
            var p = _panels[i];
            _panels[i] = new Panel(p.Lo, nodes[g], nodes[g + 1], nodes[g + 2], p.Mid);
            _panels.Insert(i + 1, new Panel(p.Mid, nodes[g + 3], nodes[g + 4], nodes[g + 5], p.Hi));
        }
    }

    private double Dot(float[] g)
    {
        if (g.Length != _diff.Length)
            throw new ArgumentException($"a gradient has {g.Length} values, the path {_diff.Length}");
        double s = 0;
        for (int i = 0; i < g.Length; i++)
            s += g[i] * _diff[i];
        return s;
    }

    private static void Add(double[] sum, float[] g, double w)
    {
        for (int i = 0; i < sum.Length; i++)
            sum[i] += w * g[i];
    }

    private sealed record Node(double Alpha, double F, float[] G, double Dot);

    private sealed record Panel(Node Lo, Node InnerLo, Node Mid, Node InnerHi, Node Hi)
    {
        public double Width => Hi.Alpha - Lo.Alpha;

        public double Integral => Width * (WEnd * (Lo.Dot + Hi.Dot) + WInner * (InnerLo.Dot + InnerHi.Dot) + WMid * Mid.Dot);

        public double LocalGap => Integral - (Hi.F - Lo.F);
    }
}
