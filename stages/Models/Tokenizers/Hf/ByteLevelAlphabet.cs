using System.Text;

namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>
/// GPT-2's reversible byte ↔ printable-character map (<c>bytes_to_unicode</c> in OpenAI's encoder.py and in HF
/// <c>tokenizers</c>): printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 onwards in byte order.
/// Byte-level vocabularies are written in this alphabet, so it must be exact or every id shifts.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> CharToByte = BuildCharToByte();

    /// <summary>The alphabet character of one byte.</summary>
    public static char Map(byte b) => ByteToChar[b];

    /// <summary>UTF-8 encodes <paramref name="text"/> and writes each byte as its alphabet character.</summary>
    public static string Encode(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var sb = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
            sb.Append(ByteToChar[b]);
        return sb.ToString();
    }

    /// <summary>
    /// Maps alphabet characters back to bytes and decodes them as UTF-8, replacing invalid sequences with U+FFFD as
    /// Rust's <c>from_utf8_lossy</c> does. Characters outside the alphabet (added tokens such as "&lt;|endoftext|&gt;"
    /// are made of ASCII, which is inside it) are kept as their own UTF-8 bytes.
    /// </summary>
    public static string Decode(string mapped)
    {
        var bytes = new List<byte>(mapped.Length);
        Span<byte> buf = stackalloc byte[4];
        foreach (Rune r in mapped.EnumerateRunes())
        {
            if (r.IsBmp && CharToByte.TryGetValue((char)r.Value, out byte b))
            {
                bytes.Add(b);
                continue;
            }
            int n = r.EncodeToUtf8(buf);
            for (int i = 0; i < n; i++)
                bytes.Add(buf[i]);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var printable = new bool[256];
        for (int b = '!'; b <= '~'; b++) printable[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) printable[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) printable[b] = true;
        int next = 0;
        for (int b = 0; b < 256; b++)
            map[b] = printable[b] ? (char)b : (char)(256 + next++);
        return map;
    }

    private static Dictionary<char, byte> BuildCharToByte()
    {
        var d = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++)
            d[ByteToChar[b]] = (byte)b;
        return d;
    }
}
