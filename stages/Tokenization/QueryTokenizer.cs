using KnPipeline.Stages.Data;
using KnPipeline.Stages.Models.Core;
using KnPipeline.Stages.QueryExpansion;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Tokenization;

/// <summary>
/// Encodes queries for one model (docs/architecture.md, Definitions):
/// <list type="bullet">
/// <item>Causal: input = <c>EncodePrompt(prompt)</c>; prediction position = the last index; target =
/// <c>TargetIds(object, spaceBefore)</c>. Queries without a prompt ([Y] before [X]) are counted as skipped.</item>
/// <item>Masked: [Y] in the text becomes k mask tokens, k = the target's length, and the text is encoded with
/// <c>EncodePrompt</c>; the prediction positions are the mask indices; token types are all 0.</item>
/// </list>
/// <c>spaceBefore</c> is true when the language writes spaces and the template has whitespace right before [Y]
/// (so French <c>l'[Y]</c> gets no leading space). An object that encodes to no token is quarantined
/// (<c>object_tokenizes_to_nothing</c>). Stateless apart from thread-safe <see cref="Diagnostics"/>: one instance
/// can serve several workers.
/// </summary>
public sealed class QueryTokenizer
{
    public const string Stage = "tokenization";
    public const string PromptTokenizesToNothing = "prompt_tokenizes_to_nothing";

    private readonly ITextTokenizer _tokenizer;
    private readonly Func<string, bool> _usesSpaces;
    private readonly int _maskId;
    private readonly string _maskToken = "";

    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="modelId">Written into every record.</param>
    /// <param name="kind">Causal or masked.</param>
    /// <param name="usesSpaces">Whether a language writes spaces; default <see
    /// cref="LanguageCatalog.UsesSpaces"/>.</param>
    /// <exception cref="ArgumentException">Masked kind with a tokenizer that has no mask token.</exception>
    public QueryTokenizer(ITextTokenizer tokenizer, string modelId, ModelKind kind,
        Func<string, bool>? usesSpaces = null)
    {
        if (kind == ModelKind.Auto)
            throw new ArgumentException("model kind 'auto' must be resolved from the checkpoint first", nameof(kind));
        _tokenizer = tokenizer;
        ModelId = modelId;
        Kind = kind;
        _usesSpaces = usesSpaces ?? LanguageCatalog.UsesSpaces;
        if (kind == ModelKind.Masked)
        {
            _maskId = tokenizer.MaskId ?? throw new ArgumentException(
                $"model '{modelId}' is used as a masked LM but its tokenizer ({tokenizer.Kind}) has no mask token",
                nameof(tokenizer));
            _maskToken = tokenizer.IdToToken(_maskId) ?? throw new ArgumentException(
                $"the mask id {_maskId} of model '{modelId}' has no token string", nameof(tokenizer));
        }
    }

    /// <summary>Language spacing from a benchmark's declarations, falling back to the catalog.</summary>
    public static Func<string, bool> SpacesOf(BenchmarkSource source) =>
        code => source.FindLanguage(code)?.Spaces ?? LanguageCatalog.UsesSpaces(code);

    public string ModelId { get; }

    public ModelKind Kind { get; }

    public TokenizationDiagnostics Diagnostics { get; } = new();

    /// <summary>
    /// Tokenizes a stream of queries, dropping (and quarantining or counting) those that cannot be used. The counts
    /// go to <see cref="Diagnostics"/> and, when given, also to <paramref name="alsoInto"/> (a caller's own share,
    /// such as one chunk's, which a resumed run must be able to add up again).
    /// </summary>
    public IEnumerable<TokenizedQueryRecord> TokenizeAll(IEnumerable<QueryRecord> queries, IQuarantine quarantine,
        TokenizationDiagnostics? alsoInto = null)
    {
        foreach (var q in queries)
            if (Tokenize(q, quarantine, alsoInto) is { } t)
                yield return t;
    }

    /// <summary>One query; null when it was quarantined or skipped.</summary>
    public TokenizedQueryRecord? Tokenize(QueryRecord query, IQuarantine quarantine,
        TokenizationDiagnostics? alsoInto = null)
    {
        if (Kind == ModelKind.Causal && query.Prompt == null)
        {
            Diagnostics.Skipped(query.Language);
            alsoInto?.Skipped(query.Language);
            return null;
        }
        bool spaceBefore = _usesSpaces(query.Language) && query.ObjectStart > 0 &&
                           char.IsWhiteSpace(query.Text[query.ObjectStart - 1]);
        int[] target = _tokenizer.TargetIds(query.Object, spaceBefore);
        if (target.Length == 0)
            return Reject(query, quarantine, alsoInto, QuarantineReasons.ObjectTokenizesToNothing,
                $"object '{query.Object}' encodes to no token");
        int[] input, positions, types;
        string encoded;
        int subjectAt = query.SubjectStart;
        if (Kind == ModelKind.Causal)
        {
            encoded = query.Prompt!;
            input = _tokenizer.EncodePrompt(query.Prompt!);
            if (input.Length == 0)
                return Reject(query, quarantine, alsoInto, PromptTokenizesToNothing,
                    $"prompt '{query.Prompt}' encodes to no token");
            positions = [input.Length - 1];
            types = [];
        }
        else
        {
            string masks = string.Join(_usesSpaces(query.Language) ? " " : "",
                Enumerable.Repeat(_maskToken, target.Length));
            string text = string.Concat(query.Text.AsSpan(0, query.ObjectStart), masks,
                query.Text.AsSpan(query.ObjectStart + TemplateRecord.ObjectSlot.Length));
            encoded = text;
            if (!query.SubjectFirst && subjectAt >= 0)
                subjectAt += masks.Length - TemplateRecord.ObjectSlot.Length;
            input = _tokenizer.EncodePrompt(text);
            positions = IndicesOf(input, _maskId);
            if (positions.Length != target.Length)
                return Reject(query, quarantine, alsoInto, QuarantineReasons.MaskCountMismatch,
                    $"{target.Length} mask tokens were inserted but the input holds {positions.Length}");
            types = new int[input.Length];
        }
        int unknown = CountUnknown(input) + CountUnknown(target);
        int counted = input.Length - (Kind == ModelKind.Masked ? positions.Length : 0) + target.Length;
        Diagnostics.Tokenized(query.Language, target.Length, counted, unknown);
        alsoInto?.Tokenized(query.Language, target.Length, counted, unknown);
        var (subjectStart, subjectEnd) = SubjectSpan(encoded, input, subjectAt, query.SubjectLength);
        return new TokenizedQueryRecord(query.QueryId, query.FactId, query.Relation, query.Language, query.TemplateId,
            query.Split, ModelId, input, types, positions, target, target.Length, unknown)
            { SubjectTokenStart = subjectStart, SubjectTokenEnd = subjectEnd };
    }

    /// <summary>
    /// The tokens of <paramref name="input"/> (the encoding of <paramref name="text"/>) that hold the subject's chars:
    /// the text before the subject and the text through its end are encoded alone, and where each stops agreeing
    /// with the whole marks the span, so a token merged across the subject's edge is counted in it. (−1, −1) when the
    /// subject's place is unknown.
    /// </summary>
    private (int Start, int End) SubjectSpan(string text, int[] input, int start, int length)
    {
        if (start < 0 || length <= 0 || start + length > text.Length)
            return (-1, -1);
        int[] Prefix(int chars) => StripTrailingSpecial(_tokenizer.EncodePrompt(text[..chars]));
        var before = Prefix(start);
        var through = Prefix(start + length);
        int first = CommonPrefix(input, before);
        int agree = CommonPrefix(input, through);
        int end = agree == through.Length ? agree : Math.Min(agree + 1, input.Length);
        return end > first ? (first, end) : (-1, -1);
    }

    /// <summary>A prefix's encoding may end with the end-of-text or [SEP] token the whole one has only at its end.
    /// </summary>
    private int[] StripTrailingSpecial(int[] ids)
    {
        int n = ids.Length;
        // GPT-2's end-of-text doubles as its BOS: a leading one stays.
        int lead = n > 0 && ids[0] == _tokenizer.BosId ? 1 : 0;
        while (n > lead && (ids[n - 1] == _tokenizer.SepId || ids[n - 1] == _tokenizer.EosId))
            n--;
        return n == ids.Length ? ids : ids[..n];
    }

    private static int CommonPrefix(int[] a, int[] b)
    {
        int n = Math.Min(a.Length, b.Length), i = 0;
        while (i < n && a[i] == b[i])
            i++;
        return i;
    }

    private TokenizedQueryRecord? Reject(QueryRecord q, IQuarantine quarantine, TokenizationDiagnostics? alsoInto,
        string reason, string detail)
    {
        Diagnostics.Quarantined(q.Language);
        alsoInto?.Quarantined(q.Language);
        quarantine.Add(new QuarantineRecord(ModelId, 0, q.QueryId, Stage, reason, detail));
        return null;
    }

    private int CountUnknown(int[] ids)
    {
        if (_tokenizer.UnkId is not int unk)
            return 0;
        int n = 0;
        foreach (int id in ids)
            if (id == unk)
                n++;
        return n;
    }

    private static int[] IndicesOf(int[] ids, int id)
    {
        var found = new List<int>(4);
        for (int i = 0; i < ids.Length; i++)
            if (ids[i] == id)
                found.Add(i);
        return found.ToArray();
    }
}
