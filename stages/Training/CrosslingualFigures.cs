namespace KnPipeline.Stages.Training;

/// <summary>
/// The cross-lingual figures of one language B (issue #13): top-1 first-token accuracy on the subject-first queries of
/// its language-held-out cells, which no training line states in any wording, so a hit is knowledge carried over from
/// the fact's other languages.
/// <list type="bullet">
/// <item><c>crosslingual</c> leaves guessable facts out, <c>crosslingual_all</c> keeps them;
/// <c>crosslingual_baseline</c> is the relation's most frequent object on the <c>crosslingual</c> queries.</item>
/// <item>By the nearest language the fact is trained in: <c>crosslingual_same_script</c> when one of its trained
/// languages writes B's script; otherwise <c>crosslingual_ja_zh</c> for ja and zh when the other of the two is
/// trained (they share Han characters, so they are neither one script nor unrelated ones); otherwise
/// <c>crosslingual_cross_script</c>. With two of eight languages held out per fact, every Latin-script cell has a
/// trained Latin sibling, and ru and ar (alone in their scripts) have cross-script cells only.</item>
/// <item><c>*_queries</c>: how many queries each figure is over.</item>
/// </list>
/// </summary>
public static class CrosslingualFigures
{
    public const string Accuracy = "crosslingual", All = "crosslingual_all", Baseline = "crosslingual_baseline",
        SameScript = "crosslingual_same_script", CrossScript = "crosslingual_cross_script", JaZh = "crosslingual_ja_zh";

    /// <summary>Every key, in the order training.json and <c>train-embedded --json</c> write them.</summary>
    public static IReadOnlyList<string> Keys { get; } =
    [
        Accuracy, All, Baseline, SameScript, CrossScript, JaZh, Accuracy + "_queries", All + "_queries",
        SameScript + "_queries", CrossScript + "_queries", JaZh + "_queries",
    ];

    /// <summary>The category of a held-out cell of <paramref name="language"/> whose fact is trained in
    /// <paramref name="trainedIn"/>.</summary>
    public static string Category(EmbeddedBenchmark.Language language, IEnumerable<EmbeddedBenchmark.Language> trainedIn)
    {
        var trained = trainedIn.ToList();
        if (language.Script != null && trained.Any(t => t.Script == language.Script))
            return SameScript;
        string? partner = language.Code switch { "ja" => "zh", "zh" => "ja", _ => null };
        return partner != null && trained.Any(t => t.Code == partner) ? JaZh : CrossScript;
    }
}
