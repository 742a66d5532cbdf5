using ScottPlot;

namespace KnPipeline.Report.Sections;

/// <summary>
/// The query-localization section's figure kinds that <see cref="Plots"/> lacks: a histogram with threshold lines,
/// bars with asymmetric intervals, and a strip plot. Like <see cref="Plots"/>, each draws only the numbers it is
/// given, which the section also writes as the figure's CSV.
/// </summary>
internal static class QueryLocalizationPlots
{
    /// <summary>Counts per bin (rows) and series over [0, 1], with labelled vertical lines.</summary>
    public static void Histogram(string path, string title, string xLabel, string[] series, double[,] counts,
        IReadOnlyList<(double X, string Label)> lines)
    {
        using Plot plot = new();
        int bins = counts.GetLength(0);
        double w = 1.0 / bins / series.Length;
        for (int s = 0; s < series.Length; s++)
        {
            var bars = Enumerable.Range(0, bins).Where(b => counts[b, s] > 0).Select(b => new Bar
            {
                Position = (double)b / bins + (s + 0.5) * w, Value = counts[b, s], Size = w * 0.95,
                FillColor = Plots.Palette(s, series.Length), LineWidth = 0,
            }).ToList();
            var bp = plot.Add.Bars(bars);
            bp.LegendText = series[s];
        }
        Lines(plot, lines, vertical: true);
        // Margins first: they autoscale, and the whole of [0, 1] is the honest frame for a score.
        plot.Axes.Margins(bottom: 0);
        plot.Axes.SetLimitsX(0, 1);
        plot.ShowLegend(Alignment.UpperRight);
        Finish(plot, path, title, xLabel, "cells", 900, 500);
    }

    /// <summary>Grouped bars with a 95% interval drawn as a whisker on each (NaN: no bar, no whisker). The whiskers
    /// are drawn after every bar: an interval reaching into its own bar would otherwise be hidden behind it.</summary>
    public static void BarsWithIntervals(string path, string title, string xLabel, string yLabel,
        string[] categories, string[] series, double[,] values, double[,] low, double[,] high, int width = 1000)
    {
        using Plot plot = new();
        double w = 0.8 / series.Length;
        var whiskers = new List<(double X, double Low, double High)>();
        for (int s = 0; s < series.Length; s++)
        {
            var bars = new List<Bar>();
            for (int c = 0; c < categories.Length; c++)
            {
                if (double.IsNaN(values[c, s]))
                    continue;
                double x = c + (s - (series.Length - 1) / 2.0) * w;
                bars.Add(new Bar { Position = x, Value = values[c, s], Size = w, FillColor = Plots.Palette(s,
                    series.Length) });
                if (double.IsFinite(low[c, s]) && double.IsFinite(high[c, s]))
                    whiskers.Add((x, low[c, s], high[c, s]));
            }
            plot.Add.Bars(bars).LegendText = series[s];
        }
        plot.Add.HorizontalLine(0, 1, Colors.Black);
        foreach (var (x, lo, hi) in whiskers)
        {
            Whisker(plot.Add.Line(x, lo, x, hi));
            Whisker(plot.Add.Line(x - w / 4, lo, x + w / 4, lo));
            Whisker(plot.Add.Line(x - w / 4, hi, x + w / 4, hi));
        }
        var axis = plot.Axes.Bottom;
        axis.SetTicks(categories.Select((_, i) => (double)i).ToArray(), categories);
        axis.MajorTickStyle.Length = 0;
        if (categories.Sum(l => l.Length + 2) > 90)
        {
            axis.TickLabelStyle.Rotation = -30;
            axis.TickLabelStyle.Alignment = Alignment.MiddleRight;
            axis.MinimumSize = 20 + 3f * categories.Max(l => l.Length);
        }
        plot.ShowLegend(Edge.Right);
        Finish(plot, path, title, xLabel, yLabel, width, 520);
    }

    private static void Whisker(ScottPlot.Plottables.LinePlot line)
    {
        line.Color = Colors.Black;
        line.LineWidth = 1.5f;
        line.MarkerSize = 0;
    }

    /// <summary>Points per category (x jittered by a fixed pattern, so the figure is the same every time), each
    /// series a colour, with labelled horizontal lines.</summary>
    public static void Strip(string path, string title, string xLabel, string yLabel, string[] categories,
        IReadOnlyList<(string Series, double[] X, double[] Y)> points, IReadOnlyList<(double Y, string Label)> lines)
    {
        using Plot plot = new();
        for (int s = 0; s < points.Count; s++)
        {
            var sc = plot.Add.Scatter(points[s].X, points[s].Y);
            sc.LineWidth = 0;
            sc.MarkerSize = 5;
            sc.Color = Plots.Palette(s, Math.Max(3, points.Count));
            sc.LegendText = points[s].Series;
        }
        Lines(plot, lines, vertical: false);
        var axis = plot.Axes.Bottom;
        axis.SetTicks(categories.Select((_, i) => (double)i).ToArray(), categories);
        axis.MajorTickStyle.Length = 0;
        plot.Axes.SetLimitsY(-0.02, 1.02);
        plot.ShowLegend(Edge.Right);
        Finish(plot, path, title, xLabel, yLabel, Math.Clamp(500 + 60 * categories.Length, 800, 1600), 500);
    }

    private static void Lines(Plot plot, IReadOnlyList<(double At, string Label)> lines, bool vertical)
    {
        var colors = new[] { Colors.Red, Colors.Black, Colors.DarkOrange, Colors.Purple };
        for (int i = 0; i < lines.Count; i++)
        {
            var l = vertical ? (ScottPlot.Plottables.AxisLine)plot.Add.VerticalLine(lines[i].At)
                : plot.Add.HorizontalLine(lines[i].At);
            l.Color = colors[i % colors.Length];
            l.LineWidth = 2;
            l.LinePattern = i == 0 ? LinePattern.Dashed : LinePattern.Dotted;
            l.LegendText = lines[i].Label;
        }
    }

    private static void Finish(Plot plot, string path, string title, string xLabel, string yLabel, int width,
        int height)
    {
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.SavePng(path, width, height);
    }
}
