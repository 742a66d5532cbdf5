using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>
/// Compiles the Oniguruma regexes that HF <c>tokenizers</c> stores in tokenizer.json into .NET regexes. The GPT-2,
/// LLaMA-3 and Qwen2 patterns (lookahead, <c>\p{..}</c>, <c>(?i:..)</c>, <c>{1,3}</c>) mean the same in both engines;
/// what differs is rewritten here: possessive quantifiers (<c>x*+</c> → <c>(?&gt;x*)</c>), Ruby-syntax intervals
/// (<c>x{2}+</c> → <c>(?:x{2})+</c>, <c>x{,2}</c> → <c>x{0,2}</c>), <c>\p{^L}</c> negation and <c>\x{HHHH}</c>.
/// .NET matches UTF-16 units, so a letter or digit outside the BMP is not <c>\p{L}</c>/<c>\p{N}</c> here.
/// </summary>
internal static class OnigurumaPattern
{
    // CultureInvariant: (?i:'s|'t) must not depend on the machine's culture (Turkish dotted i).
    private const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.Compiled;

    public static Regex Compile(string onigPattern) => new(Translate(onigPattern), Options);

    /// <summary>A regex that matches <paramref name="literal"/> exactly (tokenizer.json's {"String": ...} patterns).</summary>
    public static Regex Literal(string literal) => new(Regex.Escape(literal), RegexOptions.CultureInvariant);

    public static string Translate(string p)
    {
        var sb = new StringBuilder(p.Length + 8);
        var groupStarts = new Stack<int>();
        int lastAtomStart = -1;
        int i = 0;
        while (i < p.Length)
        {
            char c = p[i];
            if (c == '\\' && i + 1 < p.Length)
            {
                lastAtomStart = sb.Length;
                i = CopyEscape(p, i, sb);
            }
            else if (c == '[')
            {
                lastAtomStart = sb.Length;
                i = CopyClass(p, i, sb);
            }
            else if (c == '(')
            {
                groupStarts.Push(sb.Length);
                sb.Append(c);
                i++;
            }
            else if (c == ')')
            {
                sb.Append(c);
                lastAtomStart = groupStarts.Count > 0 ? groupStarts.Pop() : -1;
                i++;
            }
            else if ((c == '*' || c == '+' || c == '?') && lastAtomStart >= 0 && !IsGroupOpener(p, i))
            {
                sb.Append(c);
                i++;
                if (i < p.Length && p[i] == '+')
                {
                    // Possessive: Oniguruma's x*+ is the atomic group (?>x*) in .NET.
                    sb.Insert(lastAtomStart, "(?>");
                    sb.Append(')');
                    i++;
                }
                else if (i < p.Length && p[i] == '?')
                {
                    sb.Append('?');
                    i++;
                }
                lastAtomStart = -1;
            }
            else if (c == '{' && lastAtomStart >= 0 && IntervalEnd(p, i) is int end)
            {
                int atomStart = lastAtomStart;
                bool exact = !p.AsSpan(i, end - i).Contains(',');
                // Oniguruma's "{,n}" is "{0,n}"; .NET would read it as literal text.
                sb.Append(p[i + 1] == ',' ? "{0" + p[(i + 1)..end] : p[i..end]);
                i = end;
                // Ruby syntax: "x{2}+" repeats "x{2}" (it is not possessive), and "x{2}?" makes "x{2}" optional.
                if (i < p.Length && (p[i] == '+' || (p[i] == '?' && exact)))
                {
                    sb.Insert(atomStart, "(?:");
                    sb.Append(')');
                    lastAtomStart = atomStart;
                }
                else
                    lastAtomStart = -1;
            }
            else
            {
                lastAtomStart = c == '|' ? -1 : sb.Length;
                sb.Append(c);
                i++;
            }
        }
        return sb.ToString();
    }

    /// <summary>The index after a "{n}", "{n,}", "{,m}" or "{n,m}" interval starting at <paramref name="i"/>, or null.</summary>
    private static int? IntervalEnd(string p, int i)
    {
        int close = p.IndexOf('}', i);
        if (close < 0)
            return null;
        var body = p.AsSpan(i + 1, close - i - 1);
        int comma = body.IndexOf(',');
        bool ok = body.Length > 0 && body.LastIndexOf(',') == comma && (comma != 0 || body.Length > 1);
        foreach (char ch in body)
            ok &= char.IsAsciiDigit(ch) || ch == ',';
        return ok ? close + 1 : null;
    }

    // '(?', '(*': the '?' after '(' opens a group construct, it is not a quantifier.
    private static bool IsGroupOpener(string p, int i) => p[i] == '?' && i > 0 && p[i - 1] == '(';

    private static int CopyEscape(string p, int i, StringBuilder sb)
    {
        char e = p[i + 1];
        if ((e == 'p' || e == 'P') && i + 3 < p.Length && p[i + 2] == '{' && p[i + 3] == '^')
        {
            // \p{^L} is Oniguruma's negation: \P{L}.
            int close = p.IndexOf('}', i);
            sb.Append('\\').Append(e == 'p' ? 'P' : 'p').Append('{').Append(p, i + 4, close - i - 4).Append('}');
            return close + 1;
        }
        if (e == 'x' && i + 2 < p.Length && p[i + 2] == '{')
        {
            int close = p.IndexOf('}', i);
            int cp = int.Parse(p.AsSpan(i + 3, close - i - 3), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            foreach (char ch in char.ConvertFromUtf32(cp))
                sb.Append("\\u").Append(((int)ch).ToString("X4", CultureInfo.InvariantCulture));
            return close + 1;
        }
        if ((e == 'p' || e == 'P') && i + 2 < p.Length && p[i + 2] == '{')
        {
            int close = p.IndexOf('}', i);
            sb.Append(p, i, close - i + 1);
            return close + 1;
        }
        sb.Append(p, i, 2);
        return i + 2;
    }

    private static int CopyClass(string p, int i, StringBuilder sb)
    {
        // Copy up to the matching ']' (nested classes and escapes included), translating escapes inside.
        int depth = 0;
        while (i < p.Length)
        {
            char c = p[i];
            if (c == '\\' && i + 1 < p.Length)
            {
                i = CopyEscape(p, i, sb);
                continue;
            }
            sb.Append(c);
            i++;
            if (c == '[')
            {
                depth++;
                if (i < p.Length && p[i] == '^') { sb.Append('^'); i++; }
                if (i < p.Length && p[i] == ']') { sb.Append(']'); i++; }
            }
            else if (c == ']' && --depth == 0)
                break;
        }
        return i;
    }
}
