namespace KnPipeline.Stages.Models.Tokenizers.Hf;

/// <summary>A tokenizer.json <c>model</c>: turns one pre-tokenized piece into ids.</summary>
internal interface IHfModel
{
    /// <summary>"bpe", "wordpiece", "unigram" or "wordlevel" (the suffix of the tokenizer Kind).</summary>
    string Kind { get; }

    int VocabSize { get; }

    string? UnkToken { get; }

    void Tokenize(string piece, List<int> ids);

    int? TokenToId(string token);

    string? IdToToken(int id);
}

/// <summary>Vocabulary lookups shared by the models: token → id and the dense reverse table.</summary>
internal sealed class Vocabulary
{
    private readonly Dictionary<string, int> _tokenToId;
    private readonly string?[] _idToToken;

    public Vocabulary(Dictionary<string, int> tokenToId)
    {
        _tokenToId = tokenToId;
        int max = tokenToId.Count == 0 ? -1 : tokenToId.Values.Max();
        _idToToken = new string?[max + 1];
        foreach (var (t, id) in tokenToId)
            _idToToken[id] = t;
    }

    public int Count => _tokenToId.Count;

    public bool TryGet(string token, out int id) => _tokenToId.TryGetValue(token, out id);

    public int? Get(string token) => _tokenToId.TryGetValue(token, out int id) ? id : null;

    public string? Token(int id) => id >= 0 && id < _idToToken.Length ? _idToToken[id] : null;
}
