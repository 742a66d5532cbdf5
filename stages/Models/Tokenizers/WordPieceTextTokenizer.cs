using KnPipeline.Stages.Models.Core;
using Microsoft.ML.Tokenizers;

namespace KnPipeline.Stages.Models.Tokenizers;

/// <summary>
/// BERT-style WordPiece from a vocab.txt, through Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/>. Casing follows
/// tokenizer_config.json's do_lower_case (default true, as transformers); accents are stripped when strip_accents says
/// so or, when it is absent, whenever text is lowercased, which is what bert-base-uncased does.
/// </summary>
public sealed class WordPieceTextTokenizer : SpecialTokenTokenizer, ITextTokenizer
{
    private readonly BertTokenizer _bert;
    private readonly string[] _vocab;
    private readonly Dictionary<string, int> _ids;

    private WordPieceTextTokenizer(BertTokenizer bert, string[] vocab, TokenizerFolderConfig config)
    {
        _bert = bert;
        _vocab = vocab;
        _ids = new Dictionary<string, int>(vocab.Length);
        for (int i = 0; i < vocab.Length; i++)
            _ids.TryAdd(vocab[i], i);
        Special = SpecialTokenIds.Resolve(config, TokenToId, SpecialTokenIds.BertDefaults);
    }

    /// <summary>Loads <paramref name="vocabPath"/> (one token per line, id = line number).</summary>
    public static WordPieceTextTokenizer FromVocabFile(string vocabPath, TokenizerFolderConfig? config = null)
    {
        config ??= new TokenizerFolderConfig();
        string[] vocab = File.ReadAllLines(vocabPath);
        bool lower = config.DoLowerCase ?? true;
        string Role(string key) => config.Token(key) ?? SpecialTokenIds.BertDefaults[key];
        var options = new BertOptions
        {
            LowerCaseBeforeTokenization = lower,
            RemoveNonSpacingMarks = config.StripAccents ?? lower,
            IndividuallyTokenizeCjk = config.TokenizeChineseChars ?? true,
            UnknownToken = Role("unk_token"),
            ClassificationToken = Role("cls_token"),
            SeparatorToken = Role("sep_token"),
            PaddingToken = Role("pad_token"),
            MaskingToken = Role("mask_token"),
        };
        var known = new HashSet<string>(vocab, StringComparer.Ordinal);
        foreach (string t in (string[])[options.UnknownToken, options.ClassificationToken, options.SeparatorToken,
                     options.PaddingToken, options.MaskingToken])
            if (!known.Contains(t))
                throw new InvalidDataException($"{vocabPath}: the special token '{t}' is not in the vocabulary");
        try
        {
            return new WordPieceTextTokenizer(BertTokenizer.Create(vocabPath, options), vocab, config);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{vocabPath}: cannot build a WordPiece tokenizer: {e.Message}", e);
        }
    }

    public string Kind => "wordpiece";

    public int VocabSize => _vocab.Length;

    public int[] Encode(string text) => [.. _bert.EncodeToIds(text, addSpecialTokens: false)];

    /// <summary>[CLS] text [SEP], the single-sequence input of a BERT masked LM.</summary>
    public int[] EncodePrompt(string text) => [.. Opt(ClsId), .. Encode(text), .. Opt(SepId)];

    /// <summary>The word pieces of the object; a word start never carries "##", so no space handling is needed.</summary>
    public int[] TargetIds(string objectText, bool spaceBefore = true) => Encode(objectText);

    public string Decode(IEnumerable<int> ids) => _bert.Decode(ids, skipSpecialTokens: false);

    public string? IdToToken(int id) => id >= 0 && id < _vocab.Length ? _vocab[id] : null;

    public int? TokenToId(string token) => _ids.TryGetValue(token, out int id) ? id : null;

    private static int[] Opt(int? id) => id is int i ? [i] : [];
}
