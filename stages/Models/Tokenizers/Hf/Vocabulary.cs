namespace KnPipeline.Stages.Models.Tokenizers.Hf;

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
