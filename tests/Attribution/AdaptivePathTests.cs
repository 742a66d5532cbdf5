using KnPipeline.Stages.Attribution;
using Xunit;

namespace KnPipeline.Tests.Attribution;

/// <summary>The adaptive rule on scalar paths F(α) with known derivatives, apart from any model.</summary>
public class AdaptivePathTests
{
    private static (double F, double G) Polynomial(double a) =>
        (3 * Math.Pow(a, 7) - 2 * Math.Pow(a, 4) + a + 0.5, 21 * Math.Pow(a, 6) - 8 * Math.Pow(a, 3) + 1);

    // A logistic step at α = 0.3 of steepness k: flat almost everywhere, so uniform points waste most rows.
    private static Func<double, (double F, double G)> Step(double k) => a =>
    {
        double s = 1 / (1 + Math.Exp(-k * (a - 0.3)));
        return (s, k * s * (1 - s));
    };

    [Fact]
    public void ASmoothPathStopsAtItsFirstRule()
    {
        // The 5-point Lobatto panel is exact for degree 7: the gradient of a degree-7 polynomial has degree 6.
        var path = AdaptivePath.Integrate(Polynomial, tolerance: 0.01, maxSteps: 64);
        Assert.True(path.Done);
        Assert.True(path.Met);
        Assert.Equal(AdaptivePath.FirstPoints, path.Points);
        Assert.Equal(0, path.Rounds);
        // Gradients arrive in float32, as from the device: exact up to their rounding.
        Assert.Equal(Polynomial(1).F - Polynomial(0).F, path.Integral, 6);
        Assert.Equal(path.Integral, path.WeightedGradient()[0], 12);
        Assert.Equal(0.5, path.FBaseline);
    }

    [Fact]
    public void ASteepPathIsRefinedWhereItIsSteepUntilTheToleranceIsMet()
    {
        var f = Step(60);
        double delta = f(1).F - f(0).F;
        var path = AdaptivePath.Integrate(f, tolerance: 0.01, maxSteps: 64);
        Assert.True(path.Met);
        Assert.True(path.Rounds >= 1);
        Assert.True(Math.Abs(path.Gap) <= 0.01 * Math.Abs(delta), $"relative gap {Math.Abs(path.Gap) / delta:G3}");
        Assert.Equal(AdaptivePath.FirstPoints + AdaptivePath.PointsPerBisection * ((path.Points - 5) / 6), path.Points);
        // Uniform panels reaching the same gap need more points than bisecting only near the step.
        var uniform = Enumerable.Range(1, 64).First(p => Math.Abs(UniformLobatto(f, p) - delta) <= Math.Abs(path.Gap));
        Assert.True(path.Points < 4 * uniform + 1, $"adaptive {path.Points} points, uniform panels {4 * uniform + 1}");
        // A tighter tolerance only adds points.
        var tight = AdaptivePath.Integrate(f, tolerance: 1e-4, maxSteps: 1000);
        Assert.True(tight.Met);
        Assert.True(tight.Points > path.Points);
        Assert.True(Math.Abs(tight.Gap) <= 1e-4 * Math.Abs(delta));
    }

    [Fact]
    public void APathThatCannotMeetTheToleranceByMaxStepsIsFlaggedNotDropped()
    {
        var path = AdaptivePath.Integrate(Step(3000), tolerance: 0.001, maxSteps: 17);
        Assert.True(path.Done);
        Assert.False(path.Met);
        Assert.Equal(17, path.Points);                     // 5 + 2 bisections; a third would pass 17
        Assert.False(path.Stagnated);
        Assert.True(double.IsFinite(path.Integral));
        var capped = AdaptivePath.Integrate(Step(3000), tolerance: 0.001, maxSteps: 20);
        Assert.Equal(17, capped.Points);                   // never more than max_steps, even by part of a bisection
    }

    [Fact]
    public void AGapWithinFloat32RoundingOfFIsNotRefined()
    {
        // F ≈ 0.99 changing by 3e-6 along a steep step: the relative gap of one panel is large, the absolute one is
        // below what float32 values of F can resolve.
        var step = Step(60);
        var path = AdaptivePath.Integrate(a => (0.99 + 3e-6 * step(a).F, 3e-6 * step(a).G), 0.01, 64);
        Assert.True(path.AtNoiseFloor);
        Assert.False(path.Met);
        Assert.Equal(AdaptivePath.FirstPoints, path.Points);
        // The same step at full height is refined.
        Assert.True(AdaptivePath.Integrate(step, 0.01, 64).Points > AdaptivePath.FirstPoints);
    }

    [Fact]
    public void AGapThatRefiningDoesNotMoveStopsAtItsSizeOfFloat32Error()
    {
        // A step of height 1e-3 on F ≈ 0.99 whose F(b) comes 4e-5 (4 noise floors, 4% of F(a) − F(b)) off the value
        // the gradients integrate to, as the softmax of float32 logits does: once the step is resolved, the gap is
        // that error and no bisection moves it.
        var step = Step(60);
        (double F, double G) Clean(double a) => (0.99 + 1e-3 * step(a).F, 1e-3 * step(a).G);
        var clean = AdaptivePath.Integrate(Clean, 0.01, 64);
        var (path, gaps) = Run(a => a == 0 ? (Clean(0).F + 4e-5, Clean(0).G) : Clean(a), 0.01, 64);
        Assert.True(clean.Met);
        Assert.True(path.Stagnated);
        Assert.False(path.Met);
        Assert.False(path.AtNoiseFloor);
        // The error sits at α = 0, so each round also bisects the first panel; without the stop those bisections
        // would go on to max_steps (59 points). The round to 41 points resolved the rest of the step, moving the gap
        // by 7% at 4 floors, and the path stopped there.
        Assert.Equal(41, path.Points);
        Assert.True(path.Points > clean.Points);
        Assert.True(Math.Abs(gaps[^1] - gaps[^2]) < 0.1 * Math.Abs(gaps[^2]));
        Assert.Equal(4e-5, path.Gap, 6);
        // The integral is as good as the clean path's: stopping threw no accuracy away.
        double delta = Clean(1).F - Clean(0).F;
        Assert.True(Math.Abs(path.Integral - delta) <= 0.01 * Math.Abs(delta));
    }

    [Fact]
    public void ASteepPathWhoseGapStallsFarAboveTheFloorIsRefinedToTheTolerance()
    {
        // A step narrower than the first nodes: the first two rounds miss it and barely move the gap, which is most of
        // F(a) − F(b), far above float32 error, so refining goes on until the nodes resolve the step.
        var (path, gaps) = Run(Step(1000), 0.01, 64);
        Assert.True(Math.Abs(gaps[1] - gaps[0]) < 0.1 * Math.Abs(gaps[0]));
        Assert.True(Math.Abs(gaps[2] - gaps[1]) < 0.1 * Math.Abs(gaps[1]));
        Assert.True(Math.Abs(gaps[2]) > 0.9 * Math.Abs(Step(1000)(1).F - Step(1000)(0).F));
        Assert.True(path.Met);
        Assert.False(path.Stagnated);
        Assert.Equal(53, path.Points);
    }

    [Fact]
    public void ANonFinitePathStopsAtOnceUnmet()
    {
        var path = AdaptivePath.Integrate(a => (a, a > 0.6 ? double.NaN : 1), tolerance: 0.01, maxSteps: 64);
        Assert.True(path.Done);
        Assert.False(path.Met);
        Assert.Equal(AdaptivePath.FirstPoints, path.Points);
    }

    [Fact]
    public void TheSameValuesAskForTheSamePoints()
    {
        var a = new List<double>();
        var b = new List<double>();
        AdaptivePath.Integrate(x => { a.Add(x); return Step(200)(x); }, 0.005, 200);
        AdaptivePath.Integrate(x => { b.Add(x); return Step(200)(x); }, 0.005, 200);
        Assert.Equal(a, b);
    }

    // Integrate, keeping the gap after every round (the first panel's, then each bisection round's).
    private static (AdaptivePath Path, List<double> Gaps) Run(
        Func<double, (double F, double G)> f, double tolerance, int maxSteps)
    {
        var path = new AdaptivePath([1f], f(1).F, tolerance, maxSteps);
        var gaps = new List<double>();
        while (!path.Done)
        {
            var values = path.Pending.Select(f).ToList();
            path.Accept(values.Select(v => v.F).ToList(), values.Select(v => new[] { (float)v.G }).ToList());
            gaps.Add(path.Gap);
        }
        return (path, gaps);
    }

    // The composite rule on p equal Lobatto panels, for comparison.
    private static double UniformLobatto(Func<double, (double F, double G)> f, int panels)
    {
        double c = Math.Sqrt(3.0 / 7.0) / 2, h = 1.0 / panels, sum = 0;
        for (int p = 0; p < panels; p++)
        {
            double lo = p * h;
            double ends = f(lo).G + f(lo + h).G, inner = f(lo + h * (0.5 - c)).G + f(lo + h * (0.5 + c)).G;
            sum += h * (1.0 / 20 * ends + 49.0 / 180 * inner + 16.0 / 45 * f(lo + h / 2).G);
        }
        return sum;
    }
}
