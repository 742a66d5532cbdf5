namespace KnPipeline.Report;

/// <summary>
/// One section of the report, in its own file. It declares the tables it reads and the figures it writes, so the
/// builder can say why a section is empty (a table the run does not have) and a test can check every figure; adding a
/// section means adding a file and one line to <see cref="ReportBuilder.Sections"/>, and nothing in the others.
/// </summary>
public interface IReportSection
{
    /// <summary>The id used as the page anchor and as the prefix of the section's figure files.</summary>
    string Anchor { get; }

    string Title { get; }

    /// <summary>Tables the section cannot do without; when one is missing the section says so instead.</summary>
    IReadOnlyList<string> Tables { get; }

    /// <summary>The figure names the section may write (each <c>name.png</c> with <c>name.csv</c>).</summary>
    IReadOnlyList<string> Figures { get; }

    void Write(ReportContext ctx, SectionWriter w);
}

/// <summary>Collects one section's blocks and writes its figures (PNG and CSV) into the report folder.</summary>
public sealed class SectionWriter(ReportContext ctx, ReportDocument.Section section)
{
    public List<string> FiguresWritten { get; } = [];

    public void Text(string text) => section.Blocks.Add(new ReportDocument.Paragraph(text));

    public void Table(string[] header, IEnumerable<string[]> rows) =>
        section.Blocks.Add(new ReportDocument.Table(header, rows.ToList()));

    /// <summary>Writes <c>name.csv</c> from <paramref name="data"/>, then has <paramref name="draw"/> plot it.
    /// </summary>
    public void Figure(string name, string caption, FigureData data, Action<string> draw)
    {
        string png = Path.Combine(ctx.OutDir, name + ".png"), csv = Path.Combine(ctx.OutDir, name + ".csv");
        data.WriteCsv(csv);
        draw(png);
        FiguresWritten.Add(name);
        // The page states the size the plot code chose (from the PNG header), so the image keeps its shape.
        Span<byte> head = stackalloc byte[24];
        using (var f = File.OpenRead(png))
            f.ReadExactly(head);
        int width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(head[16..]);
        int height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(head[20..]);
        section.Blocks.Add(new ReportDocument.Figure(name + ".png", name + ".csv", caption, width, height));
    }
}
