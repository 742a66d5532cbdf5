using ScottPlot;

namespace KnPipeline.Report;

/// <summary>
/// The report's figure kinds in ScottPlot 5: grouped bars, lines, and heatmaps. Each draws only the
/// numbers it is given, which the caller also writes as the figure's CSV. Tick labels holding CJK text are drawn with
/// the CJK font (ScottPlot does not fall back from one font to another by itself: the text would be boxes).
/// </summary>
public static class Plots
{
    /// <summary>One bar per (category, series): <paramref name="values"/>[category, series]; NaN draws none.</summary>
    public static void GroupedBars(string path, string title, string xLabel, string yLabel, string[] categories,
        string[] series, double[,] values, int width = 900, int height = 500, double? yMax = null)
    {
        using Plot plot = new();
        double w = 0.8 / series.Length;
        for (int s = 0; s < series.Length; s++)
        {
            var bars = new List<Bar>();
            for (int c = 0; c < categories.Length; c++)
                if (!double.IsNaN(values[c, s]))
                    bars.Add(new Bar
                    {
                        Position = c + (s - (series.Length - 1) / 2.0) * w, Value = values[c, s], Size = w,
                        FillColor = Palette(s, series.Length),
                    });
            var bp = plot.Add.Bars(bars);
            if (series.Length > 1)
                bp.LegendText = series[s];
        }
        CategoryTicks(plot.Axes.Bottom, categories);
        plot.Axes.Margins(bottom: 0);
        if (yMax is { } top)
            plot.Axes.SetLimitsY(0, top);
        // Beside the data area, where it hides no bar.
        if (series.Length > 1)
            plot.ShowLegend(Edge.Right);
        Finish(plot, path, title, xLabel, yLabel, width, height);
    }

    /// <summary>One line with markers per series over shared x values; a NaN point is left out.</summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, double[] xs, string[] series,
        double[,] values, int width = 900, int height = 500, bool logY = false)
    {
        using Plot plot = new();
        for (int s = 0; s < series.Length; s++)
        {
            var pts = Enumerable.Range(0, xs.Length)
                .Where(i => double.IsFinite(values[i, s]) && (!logY || values[i, s] > 0)).ToList();
            var line = plot.Add.Scatter(pts.Select(i => xs[i]).ToArray(),
                pts.Select(i => logY ? Math.Log10(values[i, s]) : values[i, s]).ToArray());
            line.Color = Palette(s, series.Length);
            line.LineWidth = 2;
            line.MarkerSize = 5;
            line.LegendText = series[s];
        }
        if (logY)
        {
            // Log scale by hand: ScottPlot 5 plots log10 of the values and labels the ticks with powers of ten.
            var ticks = new ScottPlot.TickGenerators.NumericAutomatic
            {
                LabelFormatter = v => Math.Abs(v - Math.Round(v)) < 1e-9 ? $"1e{Math.Round(v):0}" : "",
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
            };
            plot.Axes.Left.TickGenerator = ticks;
        }
        if (series.Length > 1)
            plot.ShowLegend(Alignment.UpperRight);
        if (!logY && Enumerable.Range(0, xs.Length).All(i => Enumerable.Range(0, series.Length)
                .All(s => !(values[i, s] < 0))))
            plot.Axes.SetLimitsY(0, Enumerable.Range(0, xs.Length).SelectMany(i => Enumerable.Range(0, series.Length)
                .Select(s => values[i, s])).Where(double.IsFinite).DefaultIfEmpty(1).Max() * 1.08);
        Finish(plot, path, title, xLabel, yLabel, width, height);
    }

    /// <summary>
    /// A heatmap of <paramref name="m"/>[row, column]: row 0 is drawn at the top, every cell is labelled on its axis.
    /// </summary>
    public static void Heatmap(string path, string title, string xLabel, string yLabel, string[] rowLabels,
        string[] colLabels, double[,] m, string colorLabel, int width, int height)
    {
        using Plot plot = new();
        var hm = plot.Add.Heatmap(m);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(hm).Label = colorLabel;
        CategoryTicks(plot.Axes.Bottom, colLabels, rotate: true);
        var ys = rowLabels.Select((_, i) => (double)i).ToArray();
        plot.Axes.Left.SetTicks(ys, rowLabels.Reverse().ToArray());
        plot.Axes.Left.TickLabelStyle.FontName = ReportFonts.For(string.Concat(rowLabels));
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Margins(0, 0);
        Finish(plot, path, title, xLabel, yLabel, width, height);
    }

    /// <summary>Tableau's ten colours, then Viridis for longer legends (language counts beyond ten).</summary>
    public static Color Palette(int i, int n) =>
        n <= 10
            ? new ScottPlot.Palettes.Category10().GetColor(i)
            : new ScottPlot.Colormaps.Turbo().GetColor(i / (n - 1.0));

    private static void CategoryTicks(IAxis axis, string[] labels, bool rotate = false)
    {
        axis.SetTicks(labels.Select((_, i) => (double)i).ToArray(), labels);
        axis.MajorTickStyle.Length = 0;
        axis.TickLabelStyle.FontName = ReportFonts.For(string.Concat(labels));
        if (rotate || labels.Sum(l => l.Length + 2) > 90)
        {
            axis.TickLabelStyle.Rotation = -45;
            axis.TickLabelStyle.Alignment = Alignment.MiddleRight;
            // Room for the slanted labels, or the axis title is drawn over them.
            axis.MinimumSize = 30 + 5f * labels.Max(l => l.Length);
        }
    }

    private static void Finish(Plot plot, string path, string title, string xLabel, string yLabel, int width,
        int height)
    {
        plot.Title(title);
        plot.Axes.Title.Label.FontName = ReportFonts.For(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.SavePng(path, width, height);
    }
}
