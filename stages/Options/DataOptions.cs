using System.ComponentModel.DataAnnotations;
using KnPipeline.Stages.QueryExpansion;

namespace KnPipeline.Stages.Options;

/// <summary>The <c>data:</c> section: which benchmark, which languages, relations and facts.</summary>
public sealed class DataOptions
{
    public const string SectionName = "data";

    /// <summary>The name of the embedded benchmark.</summary>
    public const string Embedded = "embedded";

    /// <summary>"embedded" or a folder holding a benchmark in <see cref="Format"/>.</summary>
    [Required]
    public string Source { get; set; } = Embedded;

    public BenchmarkFormat Format { get; set; } = BenchmarkFormat.RmlLama;

    /// <summary>Language codes to use; empty = every language the benchmark has.</summary>
    [Matches("[a-z]{2,3}(-[A-Za-z]+)?", Description = "a language code like 'en', 'zho' or 'pt-BR'")]
    public IReadOnlyList<string> Languages { get; set; } = [];

    /// <summary>Wikidata relation ids (P19, P36, …); empty = all relations.</summary>
    [Matches(@"P\d+", Description = "a relation id like 'P19'")]
    public IReadOnlyList<string> Relations { get; set; } = [];

    /// <summary>
    /// At most this many facts per relation, a sample seeded by <c>run.seed</c>; 0 = all. The default, 4 of the
    /// embedded benchmark's 30, keeps the default run within 10 minutes from a fresh clone now that the embedded model
    /// trains all 7 epochs (312 s): 48 facts took 147 s of device time for the two default methods and the analyses
    /// and edits between them, and the whole run 8 min 52 s, on the idle 2-core machine; 72 facts made it 9 min 59 s
    /// with a model that trained 25 s less. 0 attributes the whole benchmark.
    /// </summary>
    [Range(0, 1_000_000)]
    public int FactsPerRelation { get; set; } = 4;

    /// <summary>
    /// Which queries the run expands, by their split: train, heldout, heldout-language or all (the same enum query
    /// expansion takes). Train and heldout keep trained cells only; heldout-language keeps the cells never trained on.
    /// </summary>
    public TemplateSplitFilter Split { get; set; } = TemplateSplitFilter.All;

    public IEnumerable<OptionError> Validate()
    {
        foreach (var e in OptionChecks.Check(this, SectionName))
            yield return e;
        foreach (var e in Duplicates(Languages, "languages").Concat(Duplicates(Relations, "relations")))
            yield return e;
        // The embedded benchmark is authored in RML-LAMA's record shape; another format would mis-read it.
        if (Source == Embedded && Format != BenchmarkFormat.RmlLama)
            yield return new OptionError($"{SectionName}.format",
                $"the embedded benchmark is rml-lama; got {OptionChecks.Show(Format)} (set data.source to a folder)");
    }

    private static IEnumerable<OptionError> Duplicates(IReadOnlyList<string>? items, string key)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < (items?.Count ?? 0); i++)
            if (items![i] != null && !seen.Add(items[i]))
                yield return new OptionError($"{SectionName}.{key}[{i}]", $"'{items[i]}' is listed twice");
    }
}
