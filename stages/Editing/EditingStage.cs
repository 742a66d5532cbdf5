using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Editing;

/// <summary>
/// The edits of one assembled fact (docs/architecture.md, Editing), as cells for <see cref="EditRunner"/>: for each
/// of its sampled correct training-template queries, the selections built from the fact's attributions under the
/// run's first method in the query's language, the queries the edit is scored on, the new object and the fact's
/// consistency class there. CPU work, but for <c>cas_score: activation</c>, which reads the training queries'
/// activations through the model: cells are built on the device thread for that reason. A fact outside the edit
/// sample, or outside <paramref name="phase"/>, gets none.
/// </summary>
/// <param name="phase">The split this stage edits: the graph edits <see cref="EditSampling.Eval"/>, the dev pass
/// <see cref="EditSampling.Dev"/>.</param>
public sealed class EditingStage(EditingPlan plan, EditingOptions options, string phase, double knThreshold,
    double refinedShare, int minQueries, int ffnWidth, long seed)
{
    private readonly EditSelections _selections =
        new(options, knThreshold, refinedShare, minQueries, ffnWidth, seed);

    public EditingOptions Options => options;

    /// <summary>Whether this stage edits the fact (sampled, and in its phase).</summary>
    public bool Edits(string factId) => plan.Phases.GetValueOrDefault(factId) == phase;

    /// <param name="matrice">The fact's MATRICE records (the default pair's agnostic set); empty with the
    /// localization analyses off.</param>
    /// <param name="consistency">The fact's consistency records (its class per language); empty with the study
    /// off.</param>
    /// <param name="activations">Queries' activations at their prediction position over the given layers; needed
    /// with <c>cas_score: activation</c> only.</param>
    public List<EditCell> Cells(FactGroup fact, IReadOnlyList<MatriceRecord> matrice,
        IReadOnlyList<ConsistencyRecord> consistency,
        Func<IReadOnlyList<TokenizedQueryRecord>, IReadOnlyList<int>, IReadOnlyDictionary<string, float[]>>?
            activations = null)
    {
        if (!Edits(fact.FactId) || !plan.Facts.TryGetValue(fact.FactId, out var f))
            return [];
        var group = fact.Attributed.GroupBy(a => OptionNames.Of(a.Method)).FirstOrDefault();
        if (group is null)
            return [];
        string method = group.Key;
        var records = group.ToList();
        var view = new FactMethodView(records, ffnWidth);
        var languages = fact.CellSplits.Keys.Order(StringComparer.Ordinal).ToList();
        var correctTrain = languages.SelectMany(l => view.Correct(l))
            .Where(c => c.Query.Split == TemplateSplits.Train).Select(c => c.Query).ToList();
        var agnosticRecord = matrice.FirstOrDefault(m => m.FactId == fact.FactId && m.Method == method && m.IsDefault);
        var agnostic = agnosticRecord is null
            ? NeuronSet.Empty
            : new NeuronSet(agnosticRecord.AgnosticLayer, agnosticRecord.AgnosticUnit);
        var cells = new List<EditCell>();
        foreach (var edited in EditSampling.Queries(correctTrain, options.QueriesPerFact, seed))
        {
            string language = edited.Language;
            string editId = $"{edited.QueryId}|{method}";
            var pick = NewObject.Pick(f.Object, edited.TargetIds[0], plan.Candidates(fact.Relation, language), seed,
                editId);
            var newTokens = pick is null
                ? new Dictionary<string, int>()
                : plan.FirstTokens(fact.Relation, pick.Object);
            var mine = records.Select(r => r.Query).Where(q => q.QueryId != edited.QueryId).ToList();
            var probe = new EditProbe(edited,
                mine.Where(q => q.Language == language && q.Split == TemplateSplits.Train).ToList(),
                mine.Where(q => q.Language == language && q.Split == TemplateSplits.Heldout).ToList(),
                mine.Where(q => q.Language != language).ToList(),
                plan.Unrelated(fact.Relation, language, f.Object, pick?.Object));
            var cls = consistency.FirstOrDefault(c => c.Language == language && c.Method == method);
            IReadOnlyDictionary<string, float[]>? acts = null;
            if (options.CasScore == CasScore.Activation)
                acts = (activations ?? throw new InvalidOperationException(
                        "cas_score: activation needs the training queries' activations"))(
                    view.Correct(language).Where(c => c.Query.Split == TemplateSplits.Train).Select(c => c.Query)
                        .ToList(), view.Layers);
            cells.Add(new EditCell(method, phase, cls?.ClassStatic ?? "", cls?.Cs2 ?? double.NaN,
                _selections.Build(view, language, edited.QueryId, agnostic, editId, acts), probe, newTokens)
            {
                NewObject = pick?.Object ?? "", Settings = options,
            });
        }
        return cells;
    }
}

/// <summary>An edited fact as the analyses leave it: the cells are built from it on the device thread.</summary>
public sealed record EditInput(FactGroup Fact, IReadOnlyList<MatriceRecord> Matrice,
    IReadOnlyList<ConsistencyRecord> Consistency);
