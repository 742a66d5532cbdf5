using KnPipeline.Stages.Models.Core;
using Microsoft.ML.Tokenizers;

namespace KnPipeline.Stages.Models.Tokenizers;

/// <summary>
/// A SentencePiece tokenizer.model (LLaMA-1/2, TinyLlama, stories260K) through Microsoft.ML.Tokenizers'
/// <see cref="SentencePieceTokenizer"/> (BPE or Unigram, byte fallback). BOS is added to prompts when
/// tokenizer_config.json's add_bos_token says so, true by default as in transformers' LlamaTokenizer.
/// </summary>
public sealed class SentencePieceTextTokenizer : SpecialTokenTokenizer, ITextTokenizer
{
    private readonly SentencePieceTokenizer _sp;
    private readonly SentencePieceNormalizer? _midTextNormalizer;
    private readonly bool _addBos;
    private readonly Dictionary<int, string> _tokens = new();

    private SentencePieceTextTokenizer(SentencePieceTokenizer sp, TokenizerFolderConfig config)
    {
        _sp = sp;
        foreach (var (token, id) in sp.Vocabulary)
            _tokens.TryAdd(id, token);
        _addBos = config.AddBosToken ?? true;
        var resolved = SpecialTokenIds.Resolve(config, TokenToId, SpecialTokenIds.SentencePieceDefaults);
        Special = resolved with
        {
            Bos = resolved.Bos ?? NonNegative(sp.BeginningOfSentenceId),
            Eos = resolved.Eos ?? NonNegative(sp.EndOfSentenceId),
            Unk = resolved.Unk ?? NonNegative(sp.UnknownId),
        };
        // Text in the middle of a sentence gets no dummy-prefix "▁" (zh/ja objects follow their context directly).
        if (sp.Normalizer is SentencePieceNormalizer n)
            _midTextNormalizer = new SentencePieceNormalizer(n.RemoveExtraWhiteSpaces, addDummyPrefix: false,
                n.EscapeWhiteSpaces, n.TreatWhitespaceAsSuffix, n.SpecialTokens);
    }

    /// <summary>Loads a SentencePiece model file; special tokens from <paramref name="config"/>'s added_tokens_decoder.</summary>
    public static SentencePieceTextTokenizer FromModelFile(string modelPath, TokenizerFolderConfig? config = null)
    {
        config ??= new TokenizerFolderConfig();
        var specials = config.AddedTokens.Where(t => t.Special).ToDictionary(t => t.Content, t => t.Id);
        try
        {
            using var stream = File.OpenRead(modelPath);
            var sp = SentencePieceTokenizer.Create(stream, false, false,
                specials.Count > 0 ? specials : null);
            return new SentencePieceTextTokenizer(sp, config);
        }
        catch (Exception e) when (e is not IOException and not UnauthorizedAccessException)
        {
            throw new InvalidDataException(
                $"{modelPath}: not a readable SentencePiece model (a tiktoken-format LLaMA-3 tokenizer.model is " +
                $"not supported; use the folder's tokenizer.json): {e.Message}", e);
        }
    }

    public string Kind => "sentencepiece";

    public int VocabSize => _sp.Vocabulary.Count;

    public int[] Encode(string text) => [.. _sp.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false)];

    public int[] EncodePrompt(string text) => _addBos && BosId is int bos ? [bos, .. Encode(text)] : Encode(text);

    /// <summary>
    /// With a space before, the dummy prefix already writes "▁Paris"; without one the object is encoded as mid-text,
    /// with no "▁" in front.
    /// </summary>
    public int[] TargetIds(string objectText, bool spaceBefore = true)
    {
        if (spaceBefore)
            return _sp.AddDummyPrefix ? Encode(objectText) : Encode(" " + objectText);
        if (_midTextNormalizer == null)
            return Encode(objectText);
        string normalized = _midTextNormalizer.Normalize(objectText);
        return [.. _sp.EncodeToIds(normalized, addBeginningOfSentence: false, addEndOfSentence: false,
            considerPreTokenization: true, considerNormalization: false)];
    }

    public string Decode(IEnumerable<int> ids) => _sp.Decode(ids, considerSpecialTokens: true);

    public string? IdToToken(int id) => _tokens.GetValueOrDefault(id);

    public int? TokenToId(string token) => _sp.Vocabulary.TryGetValue(token, out int id) ? id : null;

    private static int? NonNegative(int id) => id >= 0 ? id : null;
}
