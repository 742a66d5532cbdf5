using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>
/// SentencePiece's compiled normalization rules ("Precompiled" in tokenizer.json: T5, XLM-R, ALBERT…): a
/// darts-clone double-array trie over UTF-8 keys whose values point into a block of NUL-terminated replacements.
/// Applied grapheme by grapheme, then code point by code point, as HF's <c>spm_precompiled</c> does.
/// </summary>
internal sealed class PrecompiledNormalizer : IHfNormalizer
{
    private readonly uint[] _units;
    private readonly byte[] _normalized;

    private PrecompiledNormalizer(uint[] units, byte[] normalized)
    {
        _units = units;
        _normalized = normalized;
    }

    public static IHfNormalizer? FromBase64(string base64, JsonFields json, string path)
    {
        if (base64.Length == 0)
            return null;
        try
        {
            byte[] blob = Convert.FromBase64String(base64);
            uint trieBytes = BinaryPrimitives.ReadUInt32LittleEndian(blob);
            if (trieBytes % 4 != 0 || 4 + trieBytes > blob.Length)
                throw json.Error(path, $"precompiled_charsmap declares a trie of {trieBytes} bytes in {blob.Length}");
            var units = new uint[trieBytes / 4];
            for (int i = 0; i < units.Length; i++)
                units[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(4 + 4 * i));
            return new PrecompiledNormalizer(units, blob[(int)(4 + trieBytes)..]);
        }
        catch (FormatException e)
        {
            throw json.Error(path, "precompiled_charsmap is not valid base64: " + e.Message);
        }
    }

    public string Normalize(string text, bool continuation)
    {
        var sb = new StringBuilder(text.Length);
        var graphemes = StringInfo.GetTextElementEnumerator(text);
        while (graphemes.MoveNext())
        {
            string g = graphemes.GetTextElement();
            if (Encoding.UTF8.GetByteCount(g) < 6 && Transform(g) is { } whole)
            {
                sb.Append(whole);
                continue;
            }
            foreach (Rune r in g.EnumerateRunes())
                sb.Append(Transform(r.ToString()) ?? r.ToString());
        }
        return sb.ToString();
    }

    /// <summary>The replacement of the shortest key that prefixes <paramref name="chunk"/>, or null.</summary>
    private string? Transform(string chunk)
    {
        byte[] key = Encoding.UTF8.GetBytes(chunk);
        int pos = 0;
        uint unit = _units[0];
        pos ^= (int)Offset(unit);
        foreach (byte c in key)
        {
            if (c == 0)
                break;
            pos ^= c;
            if (pos < 0 || pos >= _units.Length)
                return null;
            unit = _units[pos];
            if (Label(unit) != c)
                return null;
            pos ^= (int)Offset(unit);
            if (HasLeaf(unit) && pos >= 0 && pos < _units.Length)
                return Replacement((int)Value(_units[pos]));
        }
        return null;
    }

    private string? Replacement(int start)
    {
        if (start < 0 || start >= _normalized.Length)
            return null;
        int end = Array.IndexOf(_normalized, (byte)0, start);
        return Encoding.UTF8.GetString(_normalized, start, (end < 0 ? _normalized.Length : end) - start);
    }

    private static bool HasLeaf(uint unit) => ((unit >> 8) & 1) == 1;
    private static uint Value(uint unit) => unit & 0x7FFFFFFFu;
    private static uint Label(uint unit) => unit & (0x80000000u | 0xFFu);
    private static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);
}
