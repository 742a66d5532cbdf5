namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>HF's WordLevel model: each piece is one vocabulary entry or the unknown token.</summary>
internal sealed class WordLevelModel : IHfModel
{
    private readonly Vocabulary _vocab;
    private readonly int? _unkId;
    private readonly string _source;

    public WordLevelModel(Dictionary<string, int> vocab, string? unkToken, string source)
    {
        _vocab = new Vocabulary(vocab);
        UnkToken = unkToken;
        _unkId = unkToken == null ? null : _vocab.Get(unkToken);
        _source = source;
    }

    public string Kind => "wordlevel";

    public int VocabSize => _vocab.Count;

    public string? UnkToken { get; }

    public int? TokenToId(string token) => _vocab.Get(token);

    public string? IdToToken(int id) => _vocab.Token(id);

    public void Tokenize(string piece, List<int> ids)
    {
        if (_vocab.TryGet(piece, out int id))
            ids.Add(id);
        else if (_unkId is int unk)
            ids.Add(unk);
        else
            throw new InvalidOperationException(
                $"{_source}: the WordLevel vocabulary has no entry for '{piece}' and no unk_token");
    }
}
