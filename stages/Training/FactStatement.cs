using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Training;

/// <summary>
/// One fact stated by one template: the full sentence and the parts the queries use (docs/architecture.md,
/// Definitions). The prompt is the text before [Y] trimmed at the end; the object follows as a continuation, with a
/// leading space when the language writes spaces and the template has whitespace right before [Y] (so French
/// <c>d'[Y]</c> and all of zh/ja get none); the rest is the text after the object. Training concatenates exactly these
/// three encodings, so the model learns the object in the token form the queries will ask for.
/// </summary>
/// <remarks><see cref="IsTrain"/>: a training template of a cell that is not held out by language.</remarks>
public sealed record FactStatement(
    string Language, string FactId, string Relation, string TemplateId, bool IsTrain, bool SubjectFirst,
    string Text, int SubjectStart, int SubjectEnd, int ObjectStart, string Object, bool SpaceBefore,
    bool Spaces = true)
{
    /// <summary>The query split of this statement: <c>heldout-language</c> for every template of a language-held-out
    /// cell, else the template's (<c>train</c> or <c>heldout</c>).</summary>
    public string Split { get; init; } = "train";

    private const string X = "[X]", Y = "[Y]";

    public string Prompt => Text[..ObjectStart].TrimEnd();

    /// <summary>The object as encoded after the prompt: " " + object, or the bare object.</summary>
    public string ObjectForm => SpaceBefore ? " " + Object : Object;

    public string Rest => Text[(ObjectStart + Object.Length)..];

    public static FactStatement Create(EmbeddedBenchmark.Language language, EmbeddedBenchmark.Fact fact,
                                       EmbeddedBenchmark.Template template)
    {
        string t = template.Text;
        int x = t.IndexOf(X, StringComparison.Ordinal), y = t.IndexOf(Y, StringComparison.Ordinal);
        // Offsets come from the template, not from searching the text, so a name containing the other name or a
        // bracket cannot move a slot.
        int subjStart, objStart;
        if (x < y)
        {
            subjStart = x;
            objStart = y - X.Length + fact.Subject.Length;
        }
        else
        {
            objStart = y;
            subjStart = x - Y.Length + fact.Object.Length;
        }
        string text = x < y
            ? string.Concat(t[..x], fact.Subject, t[(x + X.Length)..y], fact.Object, t[(y + Y.Length)..])
            : string.Concat(t[..y], fact.Object, t[(y + Y.Length)..x], fact.Subject, t[(x + X.Length)..]);
        bool space = language.Spaces && objStart > 0 && char.IsWhiteSpace(text[objStart - 1]);
        return new FactStatement(language.Code, fact.FactId, fact.Relation, template.TemplateId,
            template.IsTrain && !fact.HeldoutLanguage, x < y, text, subjStart, subjStart + fact.Subject.Length, objStart,
            fact.Object, space, language.Spaces)
        {
            Split = fact.HeldoutLanguage ? TemplateSplits.HeldoutLanguage : template.Split,
        };
    }

    /// <summary>
    /// The pre-tokens the BPE trainer counts for this statement: the prompt, object and rest pre-tokenized separately
    /// (as they are encoded), each also cut where the subject starts and ends. In a language without spaces the
    /// template text is counted per character (<see cref="ByteLevel.PreTokenize(string, int, int, bool)"/>) unless
    /// <paramref name="perCharacter"/> is false (the earlier tokenizer, kept to measure the change).
    /// </summary>
    public IEnumerable<string> TokenizerWords(bool perCharacter = true)
    {
        bool cut = perCharacter && !Spaces;
        int restStart = ObjectStart + Object.Length;
        foreach (string w in ByteLevel.PreTokenize(Prompt, SubjectStart, SubjectEnd, cut))
            yield return w;
        foreach (var (w, _) in ByteLevel.PreTokenize(ObjectForm))
            yield return w;
        foreach (string w in ByteLevel.PreTokenize(Rest, SubjectStart - restStart, SubjectEnd - restStart, cut))
            yield return w;
    }
}
