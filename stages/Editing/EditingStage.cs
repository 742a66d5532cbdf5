using KnPipeline.Stages.Localization;
using KnPipeline.Stages.Models.Interventions;
using KnPipeline.Stages.Options;
using KnPipeline.Stages.Records;

namespace KnPipeline.Stages.Editing;

/// <summary>
/// The edits of one assembled fact (docs/architecture.md, Editing), as cells for <see cref="EditRunner"/>: for each
/// of its sampled correct training-template queries, the selections built from the fact's attributions under the
/// run's first method in the query's language, the queries the edit is scored on, the new object and the fact's
/// consistency class there. Plain CPU work; a fact outside the edit sample, or outside <paramref name="phase"/>,
/// gets none.
/// </summary>
/// <param name="phase">The split this stage edits: the graph edits <see cref="EditSampling.Eval"/>, the dev pass
/// <see cref="EditSampling.Dev"/>.</param>
public sealed class EditingStage(EditingPlan plan, EditingOptions options, string phase, double knThreshold,
    double refinedShare, int minQueries, int ffnWidth, long seed)
{
    private readonly EditSelections _selections =
        new(options, knThreshold, refinedShare, minQueries, ffnWidth, seed);

    public EditingOptions Options => options;

    /// <param name="matrice">The fact's MATRICE records (the default pair's agnostic set); empty with the
    /// localization analyses off.</param>
    /// <param name="consistency">The fact's consistency records (its class per language); empty with the study
    /// off.</param>
    public List<EditCell> Cells(FactGroup fact, IReadOnlyList<MatriceRecord> matrice,
        IReadOnlyList<ConsistencyRecord> consistency)
    {
        if (plan.Phases.GetValueOrDefault(fact.FactId) != phase || !plan.Facts.TryGetValue(fact.FactId, out var f))
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
            cells.Add(new EditCell(method, phase, cls?.ClassStatic ?? "", cls?.Cs2 ?? double.NaN,
                _selections.Build(view, language, edited.QueryId, agnostic, editId), probe, newTokens)
            {
                NewObject = pick?.Object ?? "", Settings = options,
            });
        }
        return cells;
    }
}
