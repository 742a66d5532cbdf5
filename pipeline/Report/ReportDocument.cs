using System.Net;
using System.Text;

namespace KnPipeline.Report;

/// <summary>
/// The report's content as plain blocks (paragraphs, tables, figures), written twice: as one self-contained HTML page
/// (inline style, figures as files beside it, no script, nothing fetched) and as Markdown for a Git forge. Text may
/// mark code with backticks, as Markdown does; the HTML writer turns those into <c>&lt;code&gt;</c>.
/// </summary>
public sealed class ReportDocument(string title)
{
    public abstract record Block;

    public sealed record Paragraph(string Text) : Block;

    public sealed record Table(string[] Header, IReadOnlyList<string[]> Rows) : Block;

    public sealed record Figure(string File, string Csv, string Caption, int Width, int Height) : Block;

    public sealed record Section(string Anchor, string Title, List<Block> Blocks);

    public string Title { get; } = title;
    public List<Block> Preface { get; } = [];
    public List<Section> Sections { get; } = [];

    public string ToHtml()
    {
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.Append($"<title>{Enc(Title)}</title>\n<style>\n{Style}</style>\n</head>\n<body>\n<h1>{Enc(Title)}</h1>\n");
        foreach (var b in Preface)
            Html(h, b);
        h.Append("<nav><ol>\n");
        foreach (var s in Sections)
            h.Append($"<li><a href=\"#{s.Anchor}\">{Enc(s.Title)}</a></li>\n");
        h.Append("</ol></nav>\n");
        foreach (var s in Sections)
        {
            h.Append($"<section id=\"{s.Anchor}\">\n<h2>{Enc(s.Title)}</h2>\n");
            foreach (var b in s.Blocks)
                Html(h, b);
            h.Append("</section>\n");
        }
        h.Append("</body>\n</html>\n");
        return h.ToString();
    }

    public string ToMarkdown()
    {
        var m = new StringBuilder();
        m.Append($"# {Title}\n\n");
        foreach (var b in Preface)
            Markdown(m, b);
        foreach (var s in Sections)
            m.Append($"- [{s.Title}](#{s.Anchor})\n");
        m.Append('\n');
        foreach (var s in Sections)
        {
            // An explicit anchor: forges derive their own from the title, which the table of contents cannot know.
            m.Append($"<a id=\"{s.Anchor}\"></a>\n\n## {s.Title}\n\n");
            foreach (var b in s.Blocks)
                Markdown(m, b);
        }
        return m.ToString();
    }

    private const string Style = """
        body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, "WenQuanYi Micro Hei", sans-serif;
               max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
        h1 { font-size: 1.7em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
        table { border-collapse: collapse; margin: .8em 0; font-size: .92em; }
        th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
        th { background: #f2f2f2; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
        figure { margin: 1.2em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
        figcaption { font-size: .9em; color: #444; } code { background: #f4f4f4; padding: 0 .2em; }
        nav ol { columns: 2; }

        """;

    private static void Html(StringBuilder h, Block b)
    {
        switch (b)
        {
            case Paragraph p:
                h.Append($"<p>{Inline(p.Text)}</p>\n");
                break;
            case Table t:
                h.Append("<table>\n<tr>");
                foreach (var c in t.Header)
                    h.Append($"<th>{Inline(c)}</th>");
                h.Append("</tr>\n");
                foreach (var row in t.Rows)
                {
                    h.Append("<tr>");
                    foreach (var c in row)
                        h.Append(IsNumber(c) ? $"<td class=\"n\">{Enc(c)}</td>" : $"<td>{Inline(c)}</td>");
                    h.Append("</tr>\n");
                }
                h.Append("</table>\n");
                break;
            case Figure f:
                h.Append($"<figure><img src=\"{Enc(f.File)}\" width=\"{f.Width}\" height=\"{f.Height}\" " +
                         $"alt=\"{Enc(f.Caption)}\">\n<figcaption>{Inline(f.Caption)} " +
                         $"(<a href=\"{Enc(f.Csv)}\">numbers</a>)</figcaption></figure>\n");
                break;
        }
    }

    private static void Markdown(StringBuilder m, Block b)
    {
        switch (b)
        {
            case Paragraph p:
                m.Append(p.Text).Append("\n\n");
                break;
            case Table t:
                m.Append("| ").Append(string.Join(" | ", t.Header.Select(Cell))).Append(" |\n|");
                foreach (var c in t.Header)
                    m.Append(t.Rows.Count > 0 && IsNumber(t.Rows[0][Array.IndexOf(t.Header, c)]) ? "---:|" : "---|");
                m.Append('\n');
                foreach (var row in t.Rows)
                    m.Append("| ").Append(string.Join(" | ", row.Select(Cell))).Append(" |\n");
                m.Append('\n');
                break;
            case Figure f:
                m.Append($"![{f.Caption.Replace("]", ")")}]({f.File})\n\n{f.Caption} ([numbers]({f.Csv}))\n\n");
                break;
        }
    }

    private static string Cell(string s) => s.Replace("|", "\\|").Replace("\n", " ");

    private static bool IsNumber(string s) =>
        s.Length > 0 && double.TryParse(s.Replace(",", "").TrimEnd('%', ' ', 's'),
            System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);

    private static string Enc(string s) => WebUtility.HtmlEncode(s);

    /// <summary>HTML-encodes text, turning `code` spans into code elements.</summary>
    private static string Inline(string s)
    {
        var parts = s.Split('`');
        var sb = new StringBuilder();
        for (int i = 0; i < parts.Length; i++)
            sb.Append(i % 2 == 1 && parts.Length % 2 == 1 ? $"<code>{Enc(parts[i])}</code>" : Enc(parts[i]));
        return sb.ToString();
    }
}
