using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>
/// HF's BPE model: a word starts as one symbol per code point (unknown ones become byte-fallback pieces or [UNK]),
/// then adjacent pairs merge lowest rank first, leftmost first among equal ranks, exactly as HF's
/// <c>Word::merge_all</c>.
/// Results are cached per word.
/// </summary>
internal sealed class BpeModel : IHfModel
{
    // HF tokenizers' own capacity (DEFAULT_CACHE_CAPACITY). Entries are never evicted, so the cache fills to its cap
    // and stays: at 100,000 it held about 13 MB of the million-query memory bench's words by a fifth of the run,
    // growth that looked like a leak; the words every query repeats (the templates') come first and stay cached.
    private const int CacheCapacity = 10_000;

    private readonly Vocabulary _vocab;
    private readonly Dictionary<long, (int Rank, int NewId)> _merges;
    private readonly int? _unkId;
    private readonly string? _prefix;
    private readonly string? _suffix;
    private readonly bool _fuseUnk;
    private readonly bool _byteFallback;
    private readonly bool _ignoreMerges;
    private readonly ConcurrentDictionary<string, int[]> _cache = new();

    /// <param name="source">File named in errors about the merges.</param>
    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string A, string B)> merges, string? unkToken,
        string? continuingSubwordPrefix, string? endOfWordSuffix, bool fuseUnk, bool byteFallback, bool ignoreMerges,
        string source)
    {
        _vocab = new Vocabulary(vocab);
        UnkToken = unkToken;
        if (unkToken != null)
            _unkId = _vocab.Get(unkToken) ?? throw new InvalidDataException(
                $"{source}: unk_token '{unkToken}' is not in the vocabulary");
        _prefix = string.IsNullOrEmpty(continuingSubwordPrefix) ? null : continuingSubwordPrefix;
        _suffix = string.IsNullOrEmpty(endOfWordSuffix) ? null : endOfWordSuffix;
        _fuseUnk = fuseUnk;
        _byteFallback = byteFallback;
        _ignoreMerges = ignoreMerges;

        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (a, b) = merges[rank];
            if (!_vocab.TryGet(a, out int ia) || !_vocab.TryGet(b, out int ib))
                throw new InvalidDataException(
                    $"{source}: merge {rank + 1} ('{a} {b}') uses a token that is not in the vocabulary");
            // The merged token's prefix is not repeated: HF strips continuing_subword_prefix from the right part.
            string merged = a + (_prefix != null && b.StartsWith(_prefix, StringComparison.Ordinal)
                ? b[_prefix.Length..]
                : b);
            if (!_vocab.TryGet(merged, out int inew))
                throw new InvalidDataException(
                    $"{source}: merge {rank + 1} ('{a} {b}') produces '{merged}', which is not in the vocabulary");
            // A repeated pair keeps its last rank, as HF's HashMap collect does.
            _merges[Key(ia, ib)] = (rank, inew);
        }
    }

    public string Kind => "bpe";

    public int VocabSize => _vocab.Count;

    public string? UnkToken { get; }

    public int? TokenToId(string token) => _vocab.Get(token);

    public string? IdToToken(int id) => _vocab.Token(id);

    public void Tokenize(string piece, List<int> ids)
    {
        if (piece.Length == 0)
            return;
        if (_ignoreMerges && _vocab.TryGet(piece, out int whole))
        {
            ids.Add(whole);
            return;
        }
        if (_cache.TryGetValue(piece, out var cached))
        {
            ids.AddRange(cached);
            return;
        }
        int[] result = Merge(InitialSymbols(piece));
        if (_cache.Count < CacheCapacity)
            _cache.TryAdd(piece, result);
        ids.AddRange(result);
    }

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    /// <summary>One symbol per code point, as HF's <c>merge_word</c> builds them.</summary>
    private List<int> InitialSymbols(string word)
    {
        var symbols = new List<int>(word.Length);
        int? pendingUnk = null;
        int i = 0;
        while (i < word.Length)
        {
            Rune.DecodeFromUtf16(word.AsSpan(i), out Rune r, out int len);
            bool isFirst = i == 0, isLast = i + len == word.Length;
            string s = r.ToString();
            if (!isFirst && _prefix != null) s = _prefix + s;
            if (isLast && _suffix != null) s += _suffix;
            i += len;

            if (_vocab.TryGet(s, out int id))
            {
                if (pendingUnk is int u) { symbols.Add(u); pendingUnk = null; }
                symbols.Add(id);
                continue;
            }
            if (_byteFallback && TryBytes(s, symbols))
                continue;
            if (_unkId is int unk)
            {
                // fuse_unk: a run of unknown characters becomes one [UNK].
                if (pendingUnk is int prev && !_fuseUnk)
                    symbols.Add(prev);
                pendingUnk = unk;
            }
            // With no unk_token HF drops the character silently; so do we.
        }
        if (pendingUnk is int last)
            symbols.Add(last);
        return symbols;
    }

    private bool TryBytes(string s, List<int> symbols)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        var found = new int[bytes.Length];
        for (int k = 0; k < bytes.Length; k++)
            if (!_vocab.TryGet("<0x" + bytes[k].ToString("X2", CultureInfo.InvariantCulture) + ">", out found[k]))
                return false;
        symbols.AddRange(found);
        return true;
    }

    private int[] Merge(List<int> symbols)
    {
        int n = symbols.Count;
        var id = symbols.ToArray();
        var prev = new int[n];
        var next = new int[n];
        var removed = new bool[n];
        var queue = new PriorityQueue<(int Pos, int NewId), (int Rank, int Pos)>();
        for (int k = 0; k < n; k++)
        {
            prev[k] = k - 1;
            next[k] = k + 1 < n ? k + 1 : -1;
            if (k + 1 < n && _merges.TryGetValue(Key(id[k], id[k + 1]), out var m))
                queue.Enqueue((k, m.NewId), (m.Rank, k));
        }
        while (queue.TryDequeue(out var top, out _))
        {
            int pos = top.Pos;
            if (removed[pos] || next[pos] == -1)
                continue;
            int right = next[pos];
            // A stale entry: the pair at pos has changed since it was queued.
            if (!_merges.TryGetValue(Key(id[pos], id[right]), out var cur) || cur.NewId != top.NewId)
                continue;
            id[pos] = cur.NewId;
            removed[right] = true;
            next[pos] = next[right];
            if (next[right] != -1)
                prev[next[right]] = pos;
            if (prev[pos] != -1 && _merges.TryGetValue(Key(id[prev[pos]], id[pos]), out var left))
                queue.Enqueue((prev[pos], left.NewId), (left.Rank, prev[pos]));
            if (next[pos] != -1 && _merges.TryGetValue(Key(id[pos], id[next[pos]]), out var after))
                queue.Enqueue((pos, after.NewId), (after.Rank, pos));
        }
        var result = new List<int>(n);
        for (int k = 0; k < n; k++)
            if (!removed[k])
                result.Add(id[k]);
        return result.ToArray();
    }
}
