using KnPipeline.Stages.Attribution;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Localization;

/// <summary>
/// Everything the per-fact analyses need of one fact, once its chunk is assembled: the status of each of its
/// language cells (trained, or held out by language), whether its answer is guessable, and its attributed queries
/// under every method.
/// </summary>
public sealed record FactGroup(string FactId, string Relation, bool Guessable,
    IReadOnlyDictionary<string, string> CellSplits, IReadOnlyList<MethodAttribution> Attributed)
{
    /// <summary>Every tokenized query's prediction, localized or not (held-out templates say whether a cell
    /// generalizes).</summary>
    public IReadOnlyList<PredictionRecord> Predictions { get; init; } = [];

    /// <summary>The facts of a chunk, each with its attributions, in the chunk's fact order.</summary>
    public static IEnumerable<FactGroup> Of(IReadOnlyList<FactRecord> facts,
        IReadOnlyList<MethodAttribution> attributed, IReadOnlyList<PredictionRecord>? predictions = null)
    {
        var byFact = attributed.ToLookup(a => a.Query.FactId);
        var predicted = (predictions ?? []).ToLookup(p => p.FactId);
        foreach (var cells in facts.GroupBy(f => f.FactId))
        {
            var first = cells.First();
            yield return new FactGroup(first.FactId, first.Relation, cells.Any(c => c.Guessable),
                cells.ToDictionary(c => c.Language, c => c.Split), byFact[first.FactId].ToList())
                { Predictions = predicted[first.FactId].ToList() };
        }
    }
}

/// <summary>What the per-fact analyses found for one fact, and the suppressions they ask the device to run.</summary>
public sealed record FactLocalization(IReadOnlyList<FactKnRecord> FactKns, IReadOnlyList<MatriceRecord> Matrice,
    IReadOnlyList<LoloTrial> Trials);

/// <summary>
/// One leave-one-language-out arm for one (fact, method, held-out language B): the set it chose without B, to be
/// suppressed on B's correct <see cref="Queries"/>.
/// </summary>
public sealed record LoloTrial(string FactId, string Relation, string Method, string Language, string Arm,
    string SourceLanguage, NeuronSet Set, IReadOnlyList<TokenizedQueryRecord> Queries);
