namespace KnPipeline.Stages.Training;

/// <summary>
/// Learns byte-level BPE merges (GPT-2 style) from word counts: start from the 256 byte characters, repeatedly merge
/// the most frequent adjacent pair, until <see cref="MaxMerges"/> merges or no pair occurs
/// <see cref="MinFrequency"/> times. Deterministic: equal counts are broken by the pair's ordinal order (left token,
/// then right token), never by hash or dictionary order.
/// </summary>
public sealed class BpeTrainer
{
    public int MaxMerges { get; init; } = 8000;

    /// <summary>A pair seen fewer times than this is never merged.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>Trains on <paramref name="wordCounts"/>: pre-tokens (plain text, e.g. " Paris") and how often each occurs.</summary>
    public ByteLevelBpe Train(IReadOnlyDictionary<string, long> wordCounts)
    {
        var tokens = new List<string>(ByteLevel.AlphabetOrder.Select(c => c.ToString()));
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++)
            ids[tokens[i]] = i;

        // Words in ordinal order so that every later structure is built the same way on every run.
        var entries = wordCounts.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var words = new List<int>[entries.Count];
        var counts = new long[entries.Count];
        var pairCounts = new Dictionary<(int, int), long>();
        var pairWords = new Dictionary<(int, int), HashSet<int>>();
        for (int w = 0; w < entries.Count; w++)
        {
            words[w] = ByteLevel.ToByteChars(entries[w].Key).Select(c => ids[c.ToString()]).ToList();
            counts[w] = entries[w].Value;
            AddPairs(w, +1);
        }

        var merges = new List<(string, string)>();
        while (merges.Count < MaxMerges)
        {
            (int, int) best = default;
            long bestCount = 0;
            foreach (var (pair, count) in pairCounts)
            {
                if (count > bestCount || (count == bestCount && count > 0 && ComparePairs(pair, best) < 0))
                {
                    best = pair;
                    bestCount = count;
                }
            }
            if (bestCount < MinFrequency)
                break;
            string merged = tokens[best.Item1] + tokens[best.Item2];
            if (!ids.TryGetValue(merged, out int newId))
            {
                newId = tokens.Count;
                tokens.Add(merged);
                ids[merged] = newId;
            }
            merges.Add((tokens[best.Item1], tokens[best.Item2]));
            foreach (int w in pairWords[best].Order().ToList())
            {
                AddPairs(w, -1);
                words[w] = Merge(words[w], best, newId);
                AddPairs(w, +1);
            }
            pairCounts.Remove(best);
            pairWords.Remove(best);
        }
        return new ByteLevelBpe(tokens, merges);

        int ComparePairs((int, int) x, (int, int) y)
        {
            int c = string.CompareOrdinal(tokens[x.Item1], tokens[y.Item1]);
            return c != 0 ? c : string.CompareOrdinal(tokens[x.Item2], tokens[y.Item2]);
        }

        void AddPairs(int w, int sign)
        {
            var s = words[w];
            for (int i = 0; i + 1 < s.Count; i++)
            {
                var pair = (s[i], s[i + 1]);
                long c = pairCounts.GetValueOrDefault(pair) + sign * counts[w];
                if (c == 0)
                    pairCounts.Remove(pair);
                else
                    pairCounts[pair] = c;
                if (sign > 0)
                {
                    if (!pairWords.TryGetValue(pair, out var set))
                        pairWords[pair] = set = [];
                    set.Add(w);
                }
            }
        }
    }

    /// <summary>Replaces every non-overlapping occurrence of <paramref name="pair"/>, left to right.</summary>
    internal static List<int> Merge(List<int> symbols, (int Left, int Right) pair, int merged)
    {
        var result = new List<int>(symbols.Count);
        for (int i = 0; i < symbols.Count; i++)
        {
            if (i + 1 < symbols.Count && symbols[i] == pair.Left && symbols[i + 1] == pair.Right)
            {
                result.Add(merged);
                i++;
            }
            else
            {
                result.Add(symbols[i]);
            }
        }
        return result;
    }
}
