namespace KnPipeline.Stages.Records;

/// <summary>
/// The split names, one vocabulary for templates, facts and queries: a template's split is <see cref="Train"/> or
/// <see cref="Heldout"/>; a fact record's (one fact in one language: a cell) is <see cref="Train"/> or
/// <see cref="HeldoutLanguage"/>; a query's is one of the three, by <see cref="OfQuery"/>.
/// </summary>
public static class TemplateSplits
{
    public const string Train = "train";
    public const string Heldout = "heldout";

    /// <summary>A (fact, language) cell the model is never trained on, in any wording (issue #13).</summary>
    public const string HeldoutLanguage = "heldout-language";

    /// <summary>True for a template's two split names (exact, lowercase).</summary>
    public static bool IsTemplateSplit(string? split) => split is Train or Heldout;

    /// <summary>True for a fact record's two split names (exact, lowercase).</summary>
    public static bool IsFactSplit(string? split) => split is Train or HeldoutLanguage;

    /// <summary>
    /// A query's split: <see cref="HeldoutLanguage"/> when its fact record's is, whatever the template's; otherwise
    /// the template's. A language-held-out cell is never stated in training in any wording, so even its training
    /// templates test transfer across languages, not across wordings; calling those queries "train" would mix
    /// unseen cells into the train figures.
    /// </summary>
    public static string OfQuery(string factSplit, string templateSplit) =>
        factSplit == HeldoutLanguage ? HeldoutLanguage : templateSplit;
}
