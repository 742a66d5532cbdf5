namespace KnPipeline.Stages.Attribution;

/// <summary>
/// The adaptive rule (<c>rule: adaptive</c>) for one (query, layer) path: composite 5-point Gauss–Lobatto panels on
/// [0, 1], bisected where the path's own completeness gap says the quadrature is wrong, until
/// |gap| ≤ tolerance·|F(a) − F(b)|, or the next bisection would pass <c>max_steps</c> points, or refining stopped
/// moving the gap (<see cref="Stagnated"/>; in both cases the path is flagged <see cref="Met"/> = false and kept).
/// <para>
/// Why Lobatto panels: the completeness gap is the only error measure IG has, and it is exact (F is evaluated at every
/// row anyway). Lobatto nodes include both ends of a panel, so every panel has its own local gap,
/// Σ_k w_k ∇F(α_k)·(a − b) − (F(hi) − F(lo)), the local gaps add up to the path's gap, and a bisection refines only
/// the steep part of the path. The 5-point rule is exact for degree 7, like the 4 Gauss–Legendre points that the issue
/// measured as exact on smooth layers of the embedded model (relative gap &lt; 1e-4), at the same cost (the α = 0
/// node is also the F(b) row that the fixed rules add). Its centre is the shared end of the two halves, so a
/// bisection costs 6 new points, not 10. Measured with `pipeline attribute` on the embedded model, " Paris" after "Die
/// Hauptstadt von Frankreich ist" (layers 0–3): right-20 leaves relative gaps 0.117 / 0.023 / 0.049 / 0.076 with 21
/// rows per layer; adaptive meets 0.01 with 29 / 5 / 5 / 5 points (gaps 0.0095 / 1e-5 / 0.0011 / 0.0009). On that
/// steep layer 0, nested trapezoid doubling needs 65 points (33 leave 0.014) and Gauss–Legendre-16 still leaves 0.083.
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

    /// <summary>
    /// Gaps below this fraction of max(|F(a)|, |F(b)|) are float32 rounding, not quadrature error, and are not
    /// refined (the path stops, flagged unmet). Measured on the default run (7,371 queries): every path that missed
    /// 0.01 by max_steps had F ≈ 0.97–0.998, |F(a) − F(b)| ~1e-4 and |gap| 2e-6 – 1e-5 whatever its points; those
    /// 4.7% of the paths spent 59 points each, 27% of adaptive's rows.
    /// </summary>
    public const double NoiseFloor = 1e-5;

    /// <summary>
    /// A bisection round that moves the gap by less than this fraction of it did not change the integral: the halves
    /// of every refined panel reproduced their parent's estimate.
    /// </summary>
    public const double StagnantChange = 0.1;

    /// <summary>
    /// A gap that a round did not move stops the path only within this many noise floors (1e-4·max(|F(a)|, |F(b)|)):
    /// the size of F's own float32 error, not of a narrow feature that no node has hit yet.
    /// </summary>
    public const double StagnantFloors = 10;

    /// <summary>The first rule's points and weights (one panel over [0, 1]).</summary>
    public static IReadOnlyList<double> FirstAlphas => [0, 0.5 - C, 0.5, 0.5 + C, 1];

    public static IReadOnlyList<double> FirstWeights => [WEnd, WInner, WMid, WInner, WEnd];

    private readonly double[] _diff;
    private readonly double _fa;
    private readonly double _tolerance;
    private readonly int _maxSteps;
    private readonly List<Panel> _panels = [];
    private List<double> _pending;
    private double _previousGap = double.NaN;

    /// <param name="diff">a − b, the direction of the path (gradients are dotted with it).</param>
    /// <param name="fa">F(a), from the unmodified pass.</param>
    public AdaptivePath(IReadOnlyList<float> diff, double fa, double tolerance, int maxSteps)
    {
        if (maxSteps < FirstPoints)
            throw new ArgumentOutOfRangeException(nameof(maxSteps), $"adaptive needs at least {FirstPoints} points");
        _diff = diff.Select(x => (double)x).ToArray();
        _fa = fa;
        _tolerance = tolerance;
        _maxSteps = maxSteps;
        _pending = [.. FirstAlphas];
    }

    /// <summary>
    /// The α points this path needs evaluated next, in groups of 5 (first) or 6 (each bisection); empty when done.
    /// </summary>
    public IReadOnlyList<double> Pending => _pending;

    public bool Done => _pending.Count == 0;

    /// <summary>Points evaluated so far: device rows spent on this path, with inner nodes bisections dropped.</summary>
    public int Points { get; private set; }

    /// <summary>
    /// |gap| ≤ tolerance·|F(a) − F(b)|; false when max_steps, the noise floor, stagnation or a NaN stopped it.
    /// </summary>
    public bool Met { get; private set; }

    /// <summary>True when the path stopped unmet because its gap was within float32 rounding of F.</summary>
    public bool AtNoiseFloor { get; private set; }

    /// <summary>
    /// True when the path stopped unmet because a round moved its gap by less than <see cref="StagnantChange"/> of
    /// itself while it was within <see cref="StagnantFloors"/> noise floors.
    /// </summary>
    public bool Stagnated { get; private set; }

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
        if (Math.Abs(gap) <= NoiseFloor * Math.Max(Math.Abs(_fa), Math.Abs(FBaseline)))
        {
            AtNoiseFloor = true;
            return;
        }
        // Stagnation: a round that left the gap where it was (moved < 10%), at a gap within 10 noise floors, is F's own
        // float32 error, which more points cannot reduce. Measured on the v2 default run (embedded model, 33,028 paths,
        // the gap traced after every round): the 412 paths (1.2%) that reached max_steps unmet, 8.6% of all points,
        // had gaps of 1.0–2.3 floors that no round moved (|gap| after / before a round 0.997–1.003, p10–p90; the
        // largest change 2.4%); the other 54 points each of them spent bought nothing. Both conditions are needed.
        // A gap that stops shrinking is not enough: a steep path's gap often grows or swings sign before a bisection
        // lands on the steep part ("not halved in a round" would have stopped 1,894 of the 5,943 paths that met the
        // tolerance after two rounds or more, at relative gaps of median 0.097, up to 5.1), and a round that moves it
        // < 10% happens by chance (73 of those paths, at 243–120,000 floors) or on a step narrower than the nodes (a
        // logistic of steepness 1000 on [0, 1]: its first two rounds move the gap < 10%, relative gap 0.93 at 17
        // points; it meets 0.01 at 53). Nor is a small gap: a floor raised to 10× would have stopped 3 paths of the
        // run that met the tolerance one round later.
        if (Rounds > 0 && Math.Abs(gap - _previousGap) < StagnantChange * Math.Abs(_previousGap)
            && Math.Abs(gap) <= StagnantFloors * NoiseFloor * Math.Max(Math.Abs(_fa), Math.Abs(FBaseline)))
        {
            Stagnated = true;
            return;
        }
        _previousGap = gap;
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

        public double Integral =>
            Width * (WEnd * (Lo.Dot + Hi.Dot) + WInner * (InnerLo.Dot + InnerHi.Dot) + WMid * Mid.Dot);

        public double LocalGap => Integral - (Hi.F - Lo.F);
    }
}
