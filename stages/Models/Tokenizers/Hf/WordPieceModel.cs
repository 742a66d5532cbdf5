using System.Text;

namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>
/// HF's WordPiece model: greedy longest-match-first, later pieces carry the continuing-subword prefix ("##"); a word
/// longer than max_input_chars_per_word, or with any part not in the vocabulary, becomes one [UNK].
/// </summary>
internal sealed class WordPieceModel : IHfModel
{
    private readonly Vocabulary _vocab;
    private readonly int _unkId;
    private readonly string _prefix;
    private readonly int _maxChars;

    public WordPieceModel(Dictionary<string, int> vocab, string unkToken, string continuingSubwordPrefix,
        int maxInputCharsPerWord, string source)
    {
        _vocab = new Vocabulary(vocab);
        UnkToken = unkToken;
        _unkId = _vocab.Get(unkToken) ?? throw new InvalidDataException(
            $"{source}: unk_token '{unkToken}' is not in the WordPiece vocabulary");
        _prefix = continuingSubwordPrefix;
        _maxChars = maxInputCharsPerWord;
    }

    public string Kind => "wordpiece";

    public int VocabSize => _vocab.Count;

    public string? UnkToken { get; }

    public int? TokenToId(string token) => _vocab.Get(token);

    public string? IdToToken(int id) => _vocab.Token(id);

    public void Tokenize(string piece, List<int> ids)
    {
        if (piece.Length == 0)
            return;
        int runes = 0;
        foreach (var _ in piece.EnumerateRunes())
            runes++;
        if (runes > _maxChars)
        {
            ids.Add(_unkId);
            return;
        }
        var found = new List<int>();
        int start = 0;
        while (start < piece.Length)
        {
            int end = piece.Length;
            int? match = null;
            while (start < end)
            {
                string sub = piece[start..end];
                if (start > 0)
                    sub = _prefix + sub;
                if (_vocab.TryGet(sub, out int id))
                {
                    match = id;
                    break;
                }
                // Shorten by one code point, never splitting a surrogate pair.
                end -= end - 2 >= start && char.IsLowSurrogate(piece[end - 1]) && char.IsHighSurrogate(piece[end - 2])
                    ? 2 : 1;
            }
            if (match is not int m)
            {
                ids.Add(_unkId);
                return;
            }
            found.Add(m);
            start = end;
        }
        ids.AddRange(found);
    }
}
