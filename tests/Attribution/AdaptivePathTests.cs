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
        Assert.True(double.IsFinite(path.Integral));
        var capped = AdaptivePath.Integrate(Step(3000), tolerance: 0.001, maxSteps: 20);
        Assert.Equal(17, capped.Points);                   // never more than max_steps, even by part of a bisection
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

    // The composite rule on p equal Lobatto panels, for comparison.
    private static double UniformLobatto(Func<double, (double F, double G)> f, int panels)
    {
        double c = Math.Sqrt(3.0 / 7.0) / 2, h = 1.0 / panels, sum = 0;
        for (int p = 0; p < panels; p++)
        {
            double lo = p * h;
            sum += h * (1.0 / 20 * (f(lo).G + f(lo + h).G) + 49.0 / 180 * (f(lo + h * (0.5 - c)).G + f(lo + h * (0.5 + c)).G)
                        + 16.0 / 45 * f(lo + h / 2).G);
        }
        return sum;
    }
}
