using System.Globalization;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Tokenization;

/// <summary>
/// A deterministic tokenizer that needs no vocabulary file: words are cut into pieces of at most
/// <see cref="MaxPieceChars"/> characters (CJK and kana one character a piece, punctuation alone) and each piece's
/// id is a stable hash modulo the vocabulary. It exists for <c>pipeline bench data</c> and synthetic runs, where the
/// cost and shape of tokenization matter but not the ids; it matches no real model. Control, private-use and
/// unassigned characters become [UNK]. Decoding is not possible (ids are hashes); <see cref="Decode"/> shows
/// placeholders. Causal mode adds nothing around a prompt (GPT-2 style) and marks a leading space on a piece;
/// masked mode wraps prompts in [CLS] … [SEP] and reads <c>[MASK]</c> in text as the mask token.
/// </summary>
public sealed class HashingTokenizer : ITextTokenizer
{
    public const int PadToken = 0, UnkToken = 1, ClsToken = 2, SepToken = 3, MaskToken = 4, FirstPieceId = 5;
    public const string MaskText = "[MASK]";
    private static readonly string[] SpecialNames = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", MaskText];

    private readonly bool _masked;

    /// <param name="vocabSize">Ids are in [0, vocabSize).</param>
    /// <param name="masked">Masked-LM mode (special tokens and [MASK]); otherwise causal.</param>
    /// <param name="maxPieceChars">Longest piece of a word, so long words become several tokens.</param>
    public HashingTokenizer(int vocabSize = 32_000, bool masked = false, int maxPieceChars = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, FirstPieceId + 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPieceChars, 1);
        VocabSize = vocabSize;
        _masked = masked;
        MaxPieceChars = maxPieceChars;
    }

    public string Kind => _masked ? "hashing/masked" : "hashing/causal";
    public int VocabSize { get; }
    public int MaxPieceChars { get; }
    public int? BosId => _masked ? ClsToken : null;
    public int? EosId => _masked ? SepToken : null;
    public int? PadId => PadToken;
    public int? UnkId => UnkToken;
    public int? MaskId => _masked ? MaskToken : null;
    public int? ClsId => _masked ? ClsToken : null;
    public int? SepId => _masked ? SepToken : null;

    public int[] Encode(string text)
    {
        var ids = new List<int>(text.Length / 3 + 2);
        Append(text, ids);
        return ids.ToArray();
    }

    public int[] EncodePrompt(string text)
    {
        if (!_masked)
            return Encode(text);
        var ids = new List<int>(text.Length / 3 + 4) { ClsToken };
        Append(text, ids);
        ids.Add(SepToken);
        return ids.ToArray();
    }

    public int[] TargetIds(string objectText, bool spaceBefore = true) =>
        Encode(spaceBefore && !_masked ? " " + objectText : objectText);

    public string Decode(IEnumerable<int> ids) => string.Concat(ids.Select(id => IdToToken(id) ?? "<?>"));

    public string? IdToToken(int id) =>
        id < 0 || id >= VocabSize ? null : id < FirstPieceId ? SpecialNames[id] : $"<h{id}>";

    public int? TokenToId(string token)
    {
        int special = Array.IndexOf(SpecialNames, token);
        return special >= 0 ? special : PieceId(token);
    }

    private void Append(string text, List<int> ids)
    {
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
            if (_masked && string.CompareOrdinal(text, i, MaskText, 0, MaskText.Length) == 0)
            {
                ids.Add(MaskToken);
                i += MaskText.Length;
            }
            else if (char.IsLetterOrDigit(c) && !IsCjk(c))
            {
                int start = i;
                while (i < text.Length && char.IsLetterOrDigit(text[i]) && !IsCjk(text[i]))
                    i++;
                for (int p = start; p < i; p += MaxPieceChars)
                {
                    int len = Math.Min(MaxPieceChars, i - p);
                    ids.Add(PieceId(text.AsSpan(p, len), p == start && space && !_masked, p > start));
                }
            }
            else
            {
                int len = char.IsHighSurrogate(c) && i + 1 < text.Length ? 2 : 1;
                ids.Add(IsUnknown(text, i) ? UnkToken : PieceId(text.AsSpan(i, len), space && !_masked, false));
                i += len;
            }
            space = false;
        }
    }

    private int PieceId(ReadOnlySpan<char> piece, bool leadingSpace, bool continuation) =>
        PieceId((leadingSpace ? "Ġ" : continuation ? "##" : "") + piece.ToString());

    private int PieceId(string piece) =>
        FirstPieceId + (int)(StableHash.Fnv1a64(piece) % (ulong)(VocabSize - FirstPieceId));

    private static bool IsCjk(char c) =>
        c is >= '\u3040' and <= '\u30FF' or >= '\u3400' and <= '\u4DBF' or >= '\u4E00' and <= '\u9FFF'
            or >= '\uF900' and <= '\uFAFF';

    private static bool IsUnknown(string text, int i) =>
        CharUnicodeInfo.GetUnicodeCategory(text, i) is UnicodeCategory.Control or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate;
}
