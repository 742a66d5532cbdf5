using System.Globalization;
using KnPipeline.Stages.Models.Core;

namespace KnPipeline.Tests.Tokenization.Support;

/// <summary>
/// A test-only tokenizer over a tiny explicit vocabulary, so expected ids can be written down by hand.
/// Ids: [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4, then the words in the order given.
/// Pieces: a run of letters/digits is one word; each CJK or kana character is one piece; any other visible
/// character is one piece; format characters (e.g. U+200B) are dropped. Causal mode is GPT-2-like: no special tokens
/// and a word after a space is looked up as "Ġword". Masked mode is BERT-like: [CLS] … [SEP] around prompts, no
/// space marker, and "[MASK]" in text is the mask token. A piece missing from the vocabulary is [UNK].
/// </summary>
public sealed class TinyVocabTokenizer : ITextTokenizer
{
    private static readonly string[] Specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _tokens = [];
    private readonly bool _masked;

    public TinyVocabTokenizer(bool masked, params string[] words)
    {
        _masked = masked;
        foreach (string t in Specials.Concat(words))
            if (_ids.TryAdd(t, _tokens.Count))
                _tokens.Add(t);
    }

    public string Kind => _masked ? "tiny/masked" : "tiny/causal";
    public int VocabSize => _tokens.Count;
    public int? BosId => null;
    public int? EosId => null;
    public int? PadId => 0;
    public int? UnkId => 1;
    public int? MaskId => _masked ? 4 : null;
    public int? ClsId => _masked ? 2 : null;
    public int? SepId => _masked ? 3 : null;

    public int[] Encode(string text)
    {
        var ids = new List<int>();
        int i = 0;
        bool space = false;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                space = true;
                i++;
                continue;
            }
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format)
            {
                i++;
                continue;
            }
            string piece;
            if (_masked && string.CompareOrdinal(text, i, "[MASK]", 0, 6) == 0)
            {
                ids.Add(4);
                i += 6;
                space = false;
                continue;
            }
            if (char.IsLetterOrDigit(c) && !IsCjk(c))
            {
                int start = i;
                while (i < text.Length && char.IsLetterOrDigit(text[i]) && !IsCjk(text[i]))
                    i++;
                piece = text[start..i];
            }
            else
                piece = text[i++].ToString();
            string key = space && !_masked ? "Ġ" + piece : piece;
            ids.Add(_ids.GetValueOrDefault(key, 1));
            space = false;
        }
        return ids.ToArray();
    }

    public int[] EncodePrompt(string text) => _masked ? [2, .. Encode(text), 3] : Encode(text);

    public int[] TargetIds(string objectText, bool spaceBefore = true) =>
        Encode(spaceBefore && !_masked ? " " + objectText : objectText);

    public string Decode(IEnumerable<int> ids) => string.Join("|", ids.Select(id => IdToToken(id) ?? "?"));

    public string? IdToToken(int id) => id >= 0 && id < _tokens.Count ? _tokens[id] : null;

    public int? TokenToId(string token) => _ids.TryGetValue(token, out int id) ? id : null;

    private static bool IsCjk(char c) =>
        c is >= '\u3040' and <= '\u30FF' or >= '\u4E00' and <= '\u9FFF';
}
