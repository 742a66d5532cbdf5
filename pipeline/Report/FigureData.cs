using System.Globalization;
using System.Text;

namespace KnPipeline.Report;

/// <summary>
/// The numbers one figure plots, written as a CSV of the figure's name beside its PNG. Figures draw from these
/// values and nothing else, so the CSV holds exactly what is plotted. Reals are written with six significant digits
/// (<see cref="Num"/>): the figure cannot show more, and a run merged from shards, whose float sums may differ in the
/// last bits, gives the same file.
/// </summary>
public sealed class FigureData(params string[] columns)
{
    public IReadOnlyList<string> Columns { get; } = columns;
    public List<string[]> Rows { get; } = [];

    public FigureData Add(params object?[] cells)
    {
        if (cells.Length != Columns.Count)
            throw new ArgumentException(
                $"{cells.Length} cells for {Columns.Count} columns ({string.Join(",", Columns)})");
        Rows.Add(cells.Select(Cell).ToArray());
        return this;
    }

    public static string Cell(object? v) => v switch
    {
        null => "",
        double d => Num(d).ToString("R", CultureInfo.InvariantCulture),
        float f => Num(f).ToString("R", CultureInfo.InvariantCulture),
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    /// <summary>A real rounded to six significant digits: the value a figure plots and its CSV holds.</summary>
    public static double Num(double v)
    {
        if (v == 0 || !double.IsFinite(v))
            return v;
        return double.Parse(v.ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    public void WriteCsv(string path)
    {
        var sb = new StringBuilder();
        sb.Append(string.Join(",", Columns.Select(Quote))).Append('\n');
        foreach (var row in Rows)
            sb.Append(string.Join(",", row.Select(Quote))).Append('\n');
        File.WriteAllText(path, sb.ToString(), new UTF8Encoding(false));
    }

    private static string Quote(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    /// <summary>A column's values as numbers (what the plot code reads).</summary>
    public double[] Numbers(string column)
    {
        int i = IndexOf(column);
        return Rows.Select(r => r[i].Length == 0 ? double.NaN : double.Parse(r[i], CultureInfo.InvariantCulture))
            .ToArray();
    }

    public string[] Strings(string column)
    {
        int i = IndexOf(column);
        return Rows.Select(r => r[i]).ToArray();
    }

    private int IndexOf(string column)
    {
        for (int i = 0; i < Columns.Count; i++)
            if (Columns[i] == column)
                return i;
        throw new ArgumentException($"no column '{column}' (columns: {string.Join(", ", Columns)})");
    }
}
