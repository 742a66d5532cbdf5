using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Models.Tokenizers.Hf;

namespace KnPipeline.Stages.Models.Tokenizers;

/// <summary>
/// Our implementation of the Hugging Face <c>tokenizers</c> pipeline: added tokens split out, then normalizer,
/// pre-tokenizer, model (BPE, WordPiece, Unigram, WordLevel), post-processor and decoder, as tokenizer.json describes
/// them. It also serves GPT-2-style vocab.json + merges.txt folders (byte-level BPE with the GPT-2 regex, exactly as
/// transformers converts them), because Microsoft.ML.Tokenizers' CodeGenTokenizer adds CodeGen's whitespace tokens
/// (ids ≥ 50257 for runs of spaces) that GPT-2 does not have.
/// </summary>
public sealed class HfTokenizer : SpecialTokenTokenizer, ITextTokenizer
{
    private readonly IHfModel _model;
    private readonly IHfNormalizer? _normalizer;
    private readonly IHfPreTokenizer? _preTokenizer;
    private readonly IHfDecoder? _decoder;
    private readonly AddedVocabulary _added;
    private readonly int[] _promptPrefix;
    private readonly int[] _promptSuffix;

    internal HfTokenizer(string kind, IHfModel model, IHfNormalizer? normalizer, IHfPreTokenizer? preTokenizer,
        IHfDecoder? decoder, IReadOnlyList<AddedToken> addedTokens, PostProcessing? postProcessing,
        TokenizerFolderConfig config, IReadOnlyDictionary<string, string> specialDefaults)
    {
        Kind = kind;
        _model = model;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _decoder = decoder;
        _added = new AddedVocabulary(addedTokens, normalizer);
        var special = SpecialTokenIds.Resolve(config, TokenToId, specialDefaults);
        // The model's own unknown token when the configuration names none.
        Special = special with { Unk = special.Unk ?? (model.UnkToken is { } unk ? TokenToId(unk) : null) };

        // The post_processor decides, except that an explicit add_bos_token wins, as transformers' fast LLaMA/Gemma
        // tokenizers rebuild their template from it.
        int[] prefix = postProcessing?.Prefix ?? [];
        if (config.AddBosToken == true && prefix.Length == 0 && Special.Bos is int bos)
            prefix = [bos];
        else if (config.AddBosToken == false && prefix.Length == 1 && prefix[0] == Special.Bos)
            prefix = [];
        _promptPrefix = prefix;
        int[] suffix = postProcessing?.Suffix ?? [];
        // A prompt is continued by the model, so an EOS the template appends (LLaMA with add_eos_token) is left out;
        // a separator that is also EOS (RoBERTa's </s>) stays, masked LMs expect it.
        bool dropEos = Special.Eos is int eos && suffix.Length > 0 && suffix[^1] == eos && Special.Sep != eos;
        _promptSuffix = dropEos ? suffix[..^1] : suffix;
        VocabSize = model.VocabSize + _added.Tokens.Count(t => model.TokenToId(t.Content) == null);
    }

    /// <summary>Loads a tokenizer.json; <paramref name="config"/> names the special tokens (optional).</summary>
    public static HfTokenizer FromTokenizerJson(string path, TokenizerFolderConfig? config = null) =>
        TokenizerJsonReader.Read(path, config ?? new TokenizerFolderConfig());

    /// <summary>Builds GPT-2-style byte-level BPE from vocab.json and merges.txt.</summary>
    public static HfTokenizer FromVocabAndMerges(string vocabPath, string mergesPath,
        TokenizerFolderConfig? config = null) =>
        ByteLevelBpeFiles.Read(vocabPath, mergesPath, config ?? new TokenizerFolderConfig());

    public string Kind { get; }

    public int VocabSize { get; }

    public int[] Encode(string text) => EncodeCore(text, continuation: false);

    public int[] EncodePrompt(string text) => [.. _promptPrefix, .. EncodeCore(text, continuation: false), .. _promptSuffix];

    /// <summary>
    /// Encodes the object as text that continues a sentence: nothing that marks the start of a text is added
    /// (Metaspace/Prepend "▁", ByteLevel prefix space); a space is written out when <paramref name="spaceBefore"/>.
    /// </summary>
    public int[] TargetIds(string objectText, bool spaceBefore = true) =>
        EncodeCore(spaceBefore ? " " + objectText : objectText, continuation: true);

    public string Decode(IEnumerable<int> ids)
    {
        var tokens = new List<string>();
        foreach (int id in ids)
            if (IdToToken(id) is { } t)
                tokens.Add(t);
        return _decoder == null ? string.Join(" ", tokens) : string.Concat(_decoder.DecodeChain(tokens));
    }

    public string? IdToToken(int id) => _added.IdToToken(id) ?? _model.IdToToken(id);

    public int? TokenToId(string token) => _added.TokenToId(token) ?? _model.TokenToId(token);

    private int[] EncodeCore(string text, bool continuation)
    {
        var ids = new List<int>();
        var raw = _added.SplitRaw(text);
        for (int r = 0; r < raw.Count; r++)
        {
            if (raw[r].Id is int rawId)
            {
                ids.Add(rawId);
                continue;
            }
            string normalized = _normalizer?.Normalize(raw[r].Text, continuation) ?? raw[r].Text;
            var parts = _added.SplitNormalized(normalized);
            for (int n = 0; n < parts.Count; n++)
            {
                if (parts[n].Id is int normId)
                {
                    ids.Add(normId);
                    continue;
                }
                List<Piece> pieces = [new Piece(parts[n].Text, AtOrigin: r == 0 && n == 0)];
                if (_preTokenizer != null)
                    pieces = _preTokenizer.PreTokenize(pieces, continuation);
                foreach (var p in pieces)
                    _model.Tokenize(p.Text, ids);
            }
        }
        return ids.ToArray();
    }
}
