using System.Globalization;
using System.Text;

namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>
/// HF's Unigram model (SentencePiece unigram in tokenizer.json): Viterbi over the pieces' log-probabilities; a code
/// point no piece covers costs min_score − 10 and becomes [UNK] (runs fused), or byte pieces with byte_fallback.
/// </summary>
internal sealed class UnigramModel : IHfModel
{
    private const double UnkPenalty = 10.0;

    private readonly Dictionary<string, int> _tokenToId;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly string[] _pieces;
    private readonly double[] _scores;
    private readonly int? _unkId;
    private readonly bool _byteFallback;
    private readonly double _unkScore;
    private readonly int _maxPieceLength;
    private readonly string _source;

    public UnigramModel(IReadOnlyList<(string Piece, double Score)> vocab, int? unkId, bool byteFallback, string source)
    {
        _source = source;
        _pieces = new string[vocab.Count];
        _scores = new double[vocab.Count];
        _tokenToId = new Dictionary<string, int>(vocab.Count);
        double min = double.PositiveInfinity;
        for (int i = 0; i < vocab.Count; i++)
        {
            _pieces[i] = vocab[i].Piece;
            _scores[i] = vocab[i].Score;
            _tokenToId.TryAdd(vocab[i].Piece, i);
            min = Math.Min(min, vocab[i].Score);
            _maxPieceLength = Math.Max(_maxPieceLength, vocab[i].Piece.Length);
        }
        _lookup = _tokenToId.GetAlternateLookup<ReadOnlySpan<char>>();
        if (unkId is int u && (u < 0 || u >= vocab.Count))
            throw new InvalidDataException($"{source}: unk_id {u} is outside the Unigram vocabulary of {vocab.Count}");
        _unkId = unkId;
        _byteFallback = byteFallback;
        _unkScore = min - UnkPenalty;
        UnkToken = unkId is int k ? _pieces[k] : null;
    }

    public string Kind => "unigram";

    public int VocabSize => _pieces.Length;

    public string? UnkToken { get; }

    public int? TokenToId(string token) => _tokenToId.TryGetValue(token, out int id) ? id : null;

    public string? IdToToken(int id) => id >= 0 && id < _pieces.Length ? _pieces[id] : null;

    public void Tokenize(string piece, List<int> ids)
    {
        foreach (string s in BestSegmentation(piece))
        {
            if (_tokenToId.TryGetValue(s, out int id))
            {
                ids.Add(id);
                continue;
            }
            if (_byteFallback && TryBytes(s, ids))
                continue;
            ids.Add(_unkId ?? throw new InvalidOperationException(
                $"{_source}: the Unigram model cannot encode '{s}': it has no unk_id"));
        }
    }

    private bool TryBytes(string s, List<int> ids)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        var found = new int[bytes.Length];
        for (int k = 0; k < bytes.Length; k++)
            if (!_tokenToId.TryGetValue("<0x" + bytes[k].ToString("X2", CultureInfo.InvariantCulture) + ">", out found[k]))
                return false;
        ids.AddRange(found);
        return true;
    }

    /// <summary>HF's <c>encode_optimized</c>: the best path, with runs of unknown pieces fused.</summary>
    private List<string> BestSegmentation(string text)
    {
        int n = text.Length;
        var score = new double[n + 1];
        var from = new int[n + 1];
        var id = new int[n + 1];
        Array.Fill(from, -1);
        for (int start = 0; start < n; )
        {
            int charLen = char.IsHighSurrogate(text[start]) && start + 1 < n && char.IsLowSurrogate(text[start + 1]) ? 2 : 1;
            bool hasSingle = false;
            int maxEnd = Math.Min(n, start + _maxPieceLength);
            for (int end = start + 1; end <= maxEnd; end++)
            {
                if (!_lookup.TryGetValue(text.AsSpan(start, end - start), out int pid))
                    continue;
                double candidate = score[start] + _scores[pid];
                if (from[end] < 0 || candidate > score[end])
                {
                    score[end] = candidate;
                    from[end] = start;
                    id[end] = pid;
                }
                if (end - start == charLen)
                    hasSingle = true;
            }
            if (!hasSingle)
            {
                int end = start + charLen;
                double candidate = score[start] + _unkScore;
                if (from[end] < 0 || candidate > score[end])
                {
                    score[end] = candidate;
                    from[end] = start;
                    id[end] = _unkId ?? throw new InvalidOperationException(
                        $"{_source}: the Unigram model cannot encode '{text[start..end]}': it has no unk_id");
                }
            }
            start += charLen;
        }

        var reversed = new List<string>();
        var unkRun = new StringBuilder();
        for (int end = n; end > 0; end = from[end])
        {
            string s = text[from[end]..end];
            if (_unkId is int u && id[end] == u)
            {
                unkRun.Insert(0, s);
                continue;
            }
            if (unkRun.Length > 0)
            {
                reversed.Add(unkRun.ToString());
                unkRun.Clear();
            }
            reversed.Add(s);
        }
        if (unkRun.Length > 0)
            reversed.Add(unkRun.ToString());
        reversed.Reverse();
        return reversed;
    }
}
