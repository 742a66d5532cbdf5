using System.Text;

namespace KnPipeline.Stages.Records;

/// <summary>
/// 64-bit FNV-1a over UTF-8, the same in every process and on every machine. Use it for anything that must be
/// reproducible (sampling, shards, dedup sets); <see cref="string.GetHashCode()"/> is randomized per process.
/// </summary>
public static class StableHash
{
    private const ulong OffsetBasis = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    /// <summary>FNV-1a 64 of the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static ulong Fnv1a64(string text) => Continue(OffsetBasis, text);

    /// <summary>FNV-1a 64 of the parts joined by a 0x1F unit separator, so ("ab","c") and ("a","bc") differ.</summary>
    public static ulong Fnv1a64(params ReadOnlySpan<string> parts)
    {
        ulong h = OffsetBasis;
        for (int i = 0; i < parts.Length; i++)
        {
            if (i > 0)
                h = (h ^ 0x1F) * Prime;
            h = Continue(h, parts[i]);
        }
        return h;
    }

    /// <summary>
    /// <see cref="Seeded"/> finished with SplitMix64's finalizer: the sort key of a deterministic sample. FNV's last
    /// bytes barely reach its high bits, so ordering by <see cref="Seeded"/> itself kept ids that differ only at the
    /// end in nearly their own order: the default sample of 6 of 30 facts per relation came out as runs of
    /// consecutive ids (P19-025…030) instead of a spread.
    /// </summary>
    public static ulong Mixed(long seed, string key)
    {
        ulong z = Seeded(seed, key);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The hash of (seed, key). Its high bits are poorly mixed: sort by <see cref="Mixed"/>; a generator's
    /// seed may take its low bits.</summary>
    public static ulong Seeded(long seed, string key)
    {
        ulong h = OffsetBasis;
        for (int i = 0; i < 8; i++)
            h = (h ^ (byte)(seed >> (8 * i))) * Prime;
        h = (h ^ 0x1F) * Prime;
        return Continue(h, key);
    }

    private static ulong Continue(ulong h, string text)
    {
        // Encode in small stack chunks: no allocation per call, which matters at a million queries.
        Span<byte> buffer = stackalloc byte[256];
        ReadOnlySpan<char> rest = text;
        var encoder = Encoding.UTF8;
        while (!rest.IsEmpty)
        {
            int take = Math.Min(rest.Length, 64);
            // Never split a surrogate pair across chunks.
            if (take < rest.Length && char.IsHighSurrogate(rest[take - 1]))
                take--;
            int n = encoder.GetBytes(rest[..take], buffer);
            foreach (byte b in buffer[..n])
                h = (h ^ b) * Prime;
            rest = rest[take..];
        }
        return h;
    }
}
