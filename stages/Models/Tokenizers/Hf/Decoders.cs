using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>
/// One tokenizer.json <c>decoder</c>, as HF's <c>decode_chain</c>: a list of token strings in, a list out; the
/// tokenizer concatenates the final list.
/// </summary>
internal interface IHfDecoder
{
    List<string> DecodeChain(List<string> tokens);
}

internal sealed class SequenceDecoder(IReadOnlyList<IHfDecoder> steps) : IHfDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        foreach (var s in steps)
            tokens = s.DecodeChain(tokens);
        return tokens;
    }
}

/// <summary>Byte-level alphabet back to bytes, UTF-8 decoded over the whole sequence (lossy).</summary>
internal sealed class ByteLevelDecoder : IHfDecoder
{
    public List<string> DecodeChain(List<string> tokens) => [ByteLevelAlphabet.Decode(string.Concat(tokens))];
}

/// <summary>"▁" → " "; in the first token the "▁" is dropped unless prepend_scheme is "never".</summary>
internal sealed class MetaspaceDecoder(char replacement, string prependScheme) : IHfDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var output = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            var sb = new StringBuilder(tokens[i].Length);
            foreach (char c in tokens[i])
            {
                if (c != replacement)
                    sb.Append(c);
                else if (!(i == 0 && prependScheme != "never"))
                    sb.Append(' ');
            }
            output.Add(sb.ToString());
        }
        return output;
    }
}

/// <summary>Pieces after the first lose "##" or gain a leading space; cleanup undoes BERT's spaces before punctuation.</summary>
internal sealed class WordPieceDecoder(string prefix, bool cleanup) : IHfDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var output = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i];
            if (i != 0)
                t = t.StartsWith(prefix, StringComparison.Ordinal) ? t[prefix.Length..] : " " + t;
            output.Add(cleanup ? Cleanup(t) : t);
        }
        return output;
    }

    private static string Cleanup(string s) => s.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!")
        .Replace(" ,", ",").Replace(" ' ", "'").Replace(" n't", "n't").Replace(" 'm", "'m")
        .Replace(" do not", " don't").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");
}

/// <summary>Runs of "&lt;0xNN&gt;" tokens become the UTF-8 text they spell (one U+FFFD per byte if invalid).</summary>
internal sealed class ByteFallbackDecoder : IHfDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var output = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        foreach (string t in tokens)
        {
            if (t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>' &&
                byte.TryParse(t.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
            {
                bytes.Add(b);
                continue;
            }
            Flush(bytes, output);
            output.Add(t);
        }
        Flush(bytes, output);
        return output;
    }

    private static void Flush(List<byte> bytes, List<string> output)
    {
        if (bytes.Count == 0)
            return;
        try
        {
            output.Add(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray()));
        }
        catch (DecoderFallbackException)
        {
            for (int i = 0; i < bytes.Count; i++)
                output.Add("\uFFFD");
        }
        bytes.Clear();
    }
}

internal sealed class FuseDecoder : IHfDecoder
{
    public List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];
}

/// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing copies of one character from every token.</summary>
internal sealed class StripDecoder(char content, int start, int stop) : IHfDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var output = new List<string>(tokens.Count);
        foreach (string t in tokens)
        {
            int a = 0, b = t.Length;
            while (a < b && a < start && t[a] == content) a++;
            while (b > a && t.Length - b < stop && t[b - 1] == content) b--;
            output.Add(t[a..b]);
        }
        return output;
    }
}

internal sealed class ReplaceDecoder(Regex pattern, string content) : IHfDecoder
{
    public List<string> DecodeChain(List<string> tokens) =>
        tokens.Select(t => pattern.Replace(t, content.Replace("$", "$$"))).ToList();
}

/// <summary>HF "BPEDecoder": the end-of-word suffix becomes a space (nothing after the last token).</summary>
internal sealed class BpeSuffixDecoder(string suffix) : IHfDecoder
{
    public List<string> DecodeChain(List<string> tokens) =>
        tokens.Select((t, i) => t.Replace(suffix, i == tokens.Count - 1 ? "" : " ")).ToList();
}
