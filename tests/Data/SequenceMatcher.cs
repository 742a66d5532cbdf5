namespace KnPipeline.Tests.Data;

/// <summary>
/// Python's <c>difflib.SequenceMatcher(None, a, b).ratio()</c>, reimplemented for the benchmark's similarity rule:
/// Ratcliff/Obershelp matching blocks (the longest common block, then recursively left and right of it), ratio
/// 2·M/T. No junk: difflib's autojunk only starts at 200 elements, and templates are shorter (the caller checks).
/// Compares Unicode scalar values, as Python compares code points.
/// </summary>
public static class SequenceMatcher
{
    public static double Ratio(string a, string b)
    {
        int[] x = a.EnumerateRunes().Select(r => r.Value).ToArray();
        int[] y = b.EnumerateRunes().Select(r => r.Value).ToArray();
        if (x.Length + y.Length == 0)
            return 1.0;
        if (x.Length >= 200 || y.Length >= 200)
            throw new ArgumentException("difflib's autojunk would apply from 200 elements on; not reimplemented");
        var b2j = new Dictionary<int, List<int>>();
        for (int j = 0; j < y.Length; j++)
        {
            if (!b2j.TryGetValue(y[j], out var list))
                b2j[y[j]] = list = [];
            list.Add(j);
        }
        int matched = 0;
        var queue = new Stack<(int, int, int, int)>();
        queue.Push((0, x.Length, 0, y.Length));
        while (queue.Count > 0)
        {
            var (alo, ahi, blo, bhi) = queue.Pop();
            var (i, j, k) = LongestMatch(x, y, b2j, alo, ahi, blo, bhi);
            if (k == 0)
                continue;
            matched += k;
            if (alo < i && blo < j)
                queue.Push((alo, i, blo, j));
            if (i + k < ahi && j + k < bhi)
                queue.Push((i + k, ahi, j + k, bhi));
        }
        return 2.0 * matched / (x.Length + y.Length);
    }

    // difflib's find_longest_match without junk: the earliest longest block (smallest i, then smallest j).
    private static (int, int, int) LongestMatch(int[] a, int[] b, Dictionary<int, List<int>> b2j,
                                                int alo, int ahi, int blo, int bhi)
    {
        int besti = alo, bestj = blo, bestsize = 0;
        var j2len = new Dictionary<int, int>();
        for (int i = alo; i < ahi; i++)
        {
            var next = new Dictionary<int, int>();
            if (b2j.TryGetValue(a[i], out var js))
                foreach (int j in js)
                {
                    if (j < blo)
                        continue;
                    if (j >= bhi)
                        break;
                    int k = next[j] = j2len.GetValueOrDefault(j - 1) + 1;
                    if (k > bestsize)
                        (besti, bestj, bestsize) = (i - k + 1, j - k + 1, k);
                }
            j2len = next;
        }
        return (besti, bestj, bestsize);
    }
}
