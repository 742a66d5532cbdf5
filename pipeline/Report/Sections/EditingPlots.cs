using System.Globalization;
using ScottPlot;

namespace KnPipeline.Report.Sections;

/// <summary>The editing section's figure kinds that <see cref="Plots"/> lacks: trade-off curves in the
/// (locality, reliability) plane, and bars with intervals drawn over the bars.</summary>
internal static class EditingPlots
{
    private static readonly MarkerShape[] Shapes =
    [
        MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond,
        MarkerShape.FilledTriangleDown, MarkerShape.Eks, MarkerShape.Cross, MarkerShape.Asterisk,
    ];

    /// <summary>One line per curve through its points (x, y) in parameter order; the parameter is the point's marker
    /// shape, and the points at <paramref name="chosen"/> are ringed.</summary>
    public static void Tradeoff(string path, string title,
        IReadOnlyList<(string Name, (double X, double Y, double P)[] Points)> curves, double chosen)
    {
        using Plot plot = new();
        // Text labels were tried first: on a real run three selections sit at reliability 1 and their labels ran
        // into each other; a shape per λ₂ stays readable however the points crowd.
        var values = curves.SelectMany(c => c.Points.Select(p => p.P)).Distinct().Order().ToList();
        MarkerShape ShapeOf(double p) => Shapes[values.IndexOf(p) % Shapes.Length];
        for (int c = 0; c < curves.Count; c++)
        {
            var (name, pts) = curves[c];
            var color = Plots.Palette(c, curves.Count);
            var line = plot.Add.Scatter(pts.Select(p => p.X).ToArray(), pts.Select(p => p.Y).ToArray());
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = 0;
            line.LegendText = name;
            // A random control is the dashed one: it should read as the baseline, not as one more selection.
            if (name.StartsWith("random", StringComparison.Ordinal))
                line.LinePattern = LinePattern.Dashed;
            foreach (var p in pts)
                plot.Add.Marker(p.X, p.Y, ShapeOf(p.P), 9, color);
        }
        foreach (var p in curves.SelectMany(c => c.Points).Where(p => p.P == chosen))
            plot.Add.Marker(p.X, p.Y, MarkerShape.OpenCircle, 20, Colors.Black).MarkerLineWidth = 2;
        foreach (var v in values)
            plot.Add.Marker(double.NaN, double.NaN, ShapeOf(v), 9, Colors.Gray).LegendText =
                $"λ₂ = {v.ToString(CultureInfo.InvariantCulture)}";
        plot.Add.Marker(double.NaN, double.NaN, MarkerShape.OpenCircle, 14, Colors.Black).LegendText =
            $"chosen λ₂ = {chosen.ToString(CultureInfo.InvariantCulture)}";
        // Both are shares in [0, 1]: the whole square is the honest frame.
        plot.Axes.SetLimits(-0.03, 1.03, -0.04, 1.04);
        plot.ShowLegend(Edge.Right);
        plot.Title(title);
        plot.XLabel("locality (dev)");
        plot.YLabel("reliability (dev)");
        plot.SavePng(path, 1000, 620);
    }
}
