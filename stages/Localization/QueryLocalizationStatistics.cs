using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Localization;

/// <summary>
/// The statistics of issue #16 that need every fact (docs/architecture.md, Query localization; DESIGN §2; our
/// documented choices, the QL paper's formulas not being public): Otsu's threshold on the CS₂ histogram, the K_II
/// ratios and their ∩ over methods, a Welch t-test of CS₂ between the classes, the null consistency of other facts'
/// queries, the intervention means by class with bootstrap intervals over facts, and the planted-truth comparison.
/// Pure functions over records: the reduce phase reads the tables and <see cref="QueryLocalizationReduction"/> holds
/// what it writes.
/// </summary>
public static class QueryLocalizationStatistics
{
    public const string Consistent = ConsistencyRecord.Consistent;
    public const string Inconsistent = ConsistencyRecord.Inconsistent;
    public static readonly string[] Classes = [Consistent, Inconsistent];

    /// <summary>The two thresholds every class-wise figure is given under.</summary>
    public const string Static = "static", OtsuName = "otsu";

    public static string ClassOf(double cs2, double tau) => cs2 < tau ? Inconsistent : Consistent;

    /// <summary>Counts of <paramref name="values"/> in <paramref name="bins"/> equal bins over [0, 1] (1 falls in
    /// the last bin; values outside are clamped, NaN skipped).</summary>
    public static int[] Histogram(IEnumerable<double> values, int bins)
    {
        var h = new int[bins];
        foreach (double v in values.Where(double.IsFinite))
            h[Math.Clamp((int)Math.Floor(Math.Clamp(v, 0, 1) * bins), 0, bins - 1)]++;
        return h;
    }

    /// <summary>
    /// Otsu's threshold: the bin edge that maximizes the between-class variance of the histogram (bin centres as
    /// values). A gap between two modes leaves the variance flat across its edges, so the middle of the flat run is
    /// taken rather than its first edge, which would hug one mode. Null when no edge leaves both classes non-empty.
    /// </summary>
    public static double? Otsu(IEnumerable<double> values, int bins)
    {
        var h = Histogram(values, bins);
        double total = h.Sum();
        double Centre(int k) => (k + 0.5) / bins;
        double sumAll = Enumerable.Range(0, bins).Sum(k => h[k] * Centre(k));
        double w0 = 0, s0 = 0, best = -1;
        int first = -1, last = -1;
        for (int t = 1; t < bins; t++)
        {
            w0 += h[t - 1];
            s0 += h[t - 1] * Centre(t - 1);
            double w1 = total - w0;
            if (w0 == 0 || w1 == 0)
                continue;
            double d = s0 / w0 - (sumAll - s0) / w1;
            double between = w0 * w1 * d * d / (total * total);
            if (between > best + 1e-12)
                (best, first, last) = (between, t, t);
            else if (Math.Abs(between - best) <= 1e-12)
                last = t;
        }
        return first < 0 ? null : (first + last) / 2.0 / bins;
    }

    /// <summary>K_II cells of <see cref="Cells"/> classified cells (null when there are none or no threshold).
    /// </summary>
    public sealed record Ratio(int Cells, int? Inconsistent)
    {
        public double? Value => Cells > 0 && Inconsistent is { } k ? (double)k / Cells : null;
    }

    public static Ratio KiiRatio(IReadOnlyCollection<double> cs2, double? tau) =>
        new(cs2.Count, tau is { } t ? cs2.Count(v => v < t) : null);

    /// <summary>One (fact, language) cell classified under every method: K_II under all of them or not.</summary>
    public sealed record JointCell(string FactId, string Relation, string Language, bool KiiStatic, bool? KiiOtsu);

    /// <summary>
    /// QL's Table 1 ∩ column: the (fact, language) cells classified under every method in
    /// <paramref name="methods"/>, each K_II when it is K_II under all of them (Otsu: each method's own τ; unknown
    /// when a method has none).
    /// </summary>
    public static List<JointCell> Joint(IEnumerable<ConsistencyRecord> classified, IReadOnlyList<string> methods,
        double tau, IReadOnlyDictionary<string, double?> otsu)
    {
        var cells = new List<JointCell>();
        foreach (var g in classified.Where(r => r.Classified).GroupBy(r => (r.FactId, r.Language))
                     .OrderBy(g => g.Key.FactId, StringComparer.Ordinal)
                     .ThenBy(g => g.Key.Language, StringComparer.Ordinal))
        {
            var byMethod = g.GroupBy(r => r.Method).ToDictionary(m => m.Key, m => m.First().Cs2);
            if (methods.Count == 0 || !methods.All(byMethod.ContainsKey))
                continue;
            bool kiiStatic = methods.All(m => byMethod[m] < tau);
            bool? kiiOtsu = methods.All(m => otsu.GetValueOrDefault(m) is not null)
                ? methods.All(m => byMethod[m] < otsu[m]!.Value)
                : null;
            cells.Add(new JointCell(g.Key.FactId, g.First().Relation, g.Key.Language, kiiStatic, kiiOtsu));
        }
        return cells;
    }

    public static (Ratio Static, Ratio Otsu) JointRatio(IReadOnlyCollection<JointCell> cells) =>
        (new Ratio(cells.Count, cells.Count(c => c.KiiStatic)),
            new Ratio(cells.Count, cells.All(c => c.KiiOtsu is not null) ? cells.Count(c => c.KiiOtsu == true)
                : null));

    /// <summary>Welch's two-sample t-test (two-sided). Each side needs two values; t is null when both variances
    /// are 0.</summary>
    public sealed record WelchTest(int N1, int N2, double? Mean1, double? Mean2, double? T, double? Df, double? P);

    public static WelchTest Welch(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        double? Mean(IReadOnlyList<double> x) => x.Count > 0 ? x.Average() : null;
        if (a.Count < 2 || b.Count < 2)
            return new WelchTest(a.Count, b.Count, Mean(a), Mean(b), null, null, null);
        double ma = a.Average(), mb = b.Average();
        double va = a.Sum(x => (x - ma) * (x - ma)) / (a.Count - 1) / a.Count;
        double vb = b.Sum(x => (x - mb) * (x - mb)) / (b.Count - 1) / b.Count;
        if (va + vb == 0)
            return new WelchTest(a.Count, b.Count, ma, mb, null, null, null);
        double t = (ma - mb) / Math.Sqrt(va + vb);
        double df = (va + vb) * (va + vb) / (va * va / (a.Count - 1) + vb * vb / (b.Count - 1));
        double p = RegularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
        return new WelchTest(a.Count, b.Count, ma, mb, t, df, p);
    }

    /// <summary>The CDF of Student's t distribution with <paramref name="df"/> degrees of freedom.</summary>
    public static double StudentTCdf(double t, double df)
    {
        double tail = 0.5 * RegularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
        return t > 0 ? 1 - tail : tail;
    }

    /// <summary>
    /// I_x(a, b) by Lentz's continued fraction (Numerical Recipes §6.4), on the side where it converges fast. .NET
    /// has no special functions, and no statistics package is among the project's dependencies.
    /// </summary>
    public static double RegularizedIncompleteBeta(double x, double a, double b)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(a, 0);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(b, 0);
        if (x <= 0)
            return 0;
        if (x >= 1)
            return 1;
        double front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x));
        return x < (a + 1) / (a + b + 2)
            ? front * BetaFraction(x, a, b) / a
            : 1 - front * BetaFraction(1 - x, b, a) / b;
    }

    private static double BetaFraction(double x, double a, double b)
    {
        const double Tiny = 1e-300, Eps = 1e-15;
        double c = 1, d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.Abs(d) < Tiny ? Tiny : d);
        double h = d;
        for (int m = 1; m <= 500; m++)
        {
            for (int step = 0; step < 2; step++)
            {
                double num = step == 0
                    ? m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
                    : -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
                d = 1 + num * d;
                d = 1 / (Math.Abs(d) < Tiny ? Tiny : d);
                c = 1 + num / c;
                c = Math.Abs(c) < Tiny ? Tiny : c;
                double del = c * d;
                h *= del;
                if (step == 1 && Math.Abs(del - 1) < Eps)
                    return h;
            }
        }
        return h;
    }

    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7; about 15 significant digits).</summary>
    public static double LogGamma(double x)
    {
        if (x < 0.5)
            return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        double s = Lanczos[0];
        for (int i = 1; i < Lanczos.Length; i++)
            s += Lanczos[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(s);
    }

    /// <summary>A query's coarse KN set as (layer, unit) keys, for the null consistency.</summary>
    public sealed record QuerySet(string QueryId, string FactId, string Relation, string Language, string TemplateId,
        IReadOnlyCollection<int> Neurons)
    {
        /// <summary>One int per neuron, as <see cref="Consistency"/> takes them; no FFN is 2^20 units wide.</summary>
        public static int Key(int layer, int unit) => checked(layer * (1 << 20) + unit);
    }

    /// <summary>
    /// A cell's CS₂ beside the null's: other facts' queries in the cell's first k templates, with the cell's answer
    /// token (same object) or another one; k = n when enough such facts exist, else fewer (at least 2, else null),
    /// and the cell's own CS₂ over its first k queries beside each, since CS₂ falls as k grows.
    /// </summary>
    public sealed record NullCell(string FactId, string Relation, string Language, double Cs2, NullDraw? Same,
        NullDraw? Other);

    /// <summary>One null draw: k sets from k distinct other facts, their CS₂ and CS₁, and the cell's own CS₂ over
    /// its first k queries; and the same at k = 2 (the first two of each), which every draw reaches, so the
    /// same-object and other-object sides can be compared like for like.</summary>
    public sealed record NullDraw(int K, double Cs2, double Cs1, double OwnCs2, double PairCs2, double OwnPairCs2);

    /// <summary>
    /// The null consistency of each classified cell: for its n templates (its query_ids, in order), one query each
    /// from distinct other facts of the same relation and language, with the same answer (first target token:
    /// neurons of the answer token look consistent) or another, and CS₁ and CS₂ of their coarse sets. Facts are
    /// tried in the order of a hash of (run seed, cell, mode, fact), and each template takes the first unused fact
    /// that has a set in it; the draw stops at the first template it cannot fill (k &lt; n; below 2 there is no
    /// null, and the cell is counted).
    /// </summary>
    public static List<NullCell> NullConsistency(IEnumerable<ConsistencyRecord> cells, IEnumerable<QuerySet> sets,
        IReadOnlyDictionary<(string Fact, string Language), int> answers, long seed)
    {
        var pool = sets.GroupBy(s => (s.Relation, s.Language)).ToDictionary(g => g.Key,
            g => g.GroupBy(s => s.FactId).ToDictionary(f => f.Key,
                f => f.GroupBy(s => s.TemplateId).ToDictionary(t => t.Key, t => t.First().Neurons)));
        var result = new List<NullCell>();
        foreach (var cell in cells.Where(c => c.Classified))
        {
            var templates = cell.QueryIds.Select(TemplateOfId).ToList();
            var facts = pool.GetValueOrDefault((cell.Relation, cell.Language));
            var own = facts?.GetValueOrDefault(cell.FactId);
            NullDraw? Draw(bool same)
            {
                if (facts is null || own is null || !answers.TryGetValue((cell.FactId, cell.Language), out int answer))
                    return null;
                string mode = same ? "same-object" : "other-object";
                var order = facts.Keys
                    .Where(f => f != cell.FactId && answers.TryGetValue((f, cell.Language), out int a) &&
                                (a == answer) == same)
                    .OrderBy(f => StableHash.Mixed(seed, $"{cell.FactId}|{cell.Language}|{mode}|{f}"))
                    .ThenBy(f => f, StringComparer.Ordinal).ToList();
                var used = new HashSet<string>();
                var chosen = new List<IReadOnlyCollection<int>>();
                foreach (var t in templates)
                {
                    string? f = order.FirstOrDefault(f => !used.Contains(f) && facts[f].ContainsKey(t));
                    if (f is null || !own.ContainsKey(t))
                        break;
                    used.Add(f);
                    chosen.Add(facts[f][t]);
                }
                if (chosen.Count < 2)
                    return null;
                var mine = templates.Take(chosen.Count).Select(t => own[t]).ToList();
                return new NullDraw(chosen.Count, Consistency.Cs2(chosen).Cs2, Consistency.Cs1(chosen),
                    Consistency.Cs2(mine).Cs2, Consistency.Jaccard(chosen[0], chosen[1]),
                    Consistency.Jaccard(mine[0], mine[1]));
            }
            result.Add(new NullCell(cell.FactId, cell.Relation, cell.Language, cell.Cs2, Draw(true), Draw(false)));
        }
        return result;
    }

    /// <summary>The template id of a query id (<c>fact|language|template</c>).</summary>
    public static string TemplateOfId(string queryId) => queryId[(queryId.LastIndexOf('|') + 1)..];

    /// <summary>Relations where no two facts in one language share an answer token: no same-object null at all.
    /// </summary>
    public static List<string> RelationsWithoutSameObjectPair(IEnumerable<QuerySet> sets,
        IReadOnlyDictionary<(string Fact, string Language), int> answers) =>
        sets.GroupBy(s => s.Relation).Where(r => !r.GroupBy(s => s.Language).Any(l => l
                .Select(s => s.FactId).Distinct()
                .Where(f => answers.ContainsKey((f, l.Key))).GroupBy(f => answers[(f, l.Key)]).Any(a => a.Count() > 1)))
            .Select(r => r.Key).Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// A mean over queries with its 95% percentile bootstrap interval over facts, the number of queries and facts
    /// behind it, the rows left out as non-finite (p_before = 0) and the mean set size.
    /// </summary>
    public sealed record Estimate(double? Mean, double? Low, double? High, int Queries, int Facts, int NonFinite,
        double? MeanSize)
    {
        public static readonly Estimate Empty = new(null, null, null, 0, 0, 0, null);
    }

    /// <summary>One value per query (fact, value, set size); the interval resamples facts with replacement,
    /// <paramref name="resamples"/> times, seeded by (run seed, <paramref name="name"/>).</summary>
    public static Estimate Mean(IEnumerable<(string Fact, double Value, double Size)> rows, long seed, string name,
        int resamples)
    {
        var all = rows.ToList();
        var finite = all.Where(r => double.IsFinite(r.Value)).ToList();
        var facts = finite.GroupBy(r => r.Fact).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (Sum: g.Sum(r => r.Value), N: g.Count())).ToList();
        double? size = all.Count > 0 ? all.Average(r => r.Size) : null;
        if (facts.Count == 0)
            return Estimate.Empty with { NonFinite = all.Count, MeanSize = size };
        var (low, high) = Bootstrap(facts, seed, name, resamples);
        return new Estimate(facts.Sum(f => f.Sum) / finite.Count, low, high, finite.Count, facts.Count,
            all.Count - finite.Count, size);
    }

    /// <summary>The 2.5th and 97.5th percentiles of the pooled mean over facts drawn with replacement, with a
    /// generator of the statistic's own (seeded by the run seed and its name).</summary>
    public static (double Low, double High) Bootstrap(IReadOnlyList<(double Sum, int N)> facts, long seed,
        string name, int resamples) =>
        FactBootstrap.Interval(facts, new Random((int)(StableHash.Seeded(seed, name) & 0x7fffffff)), resamples);
}
