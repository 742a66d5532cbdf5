using System.Globalization;

namespace KnPipeline.Stages.Records;

/// <summary>
/// Every table a run writes, each declared here once (<see cref="TableDef{T}"/>): the chunk writer, <c>export</c>,
/// <c>export --list</c> and the report all take the list from here. Adding a table is a record file (the record and
/// its schema) plus one line below. Tables register in declaration order, which is the order they are listed and
/// written in.
/// </summary>
public static class TableRegistry
{
    // Declared before the tables: static fields initialize in text order, and each table registers itself.
    private static readonly Lock Gate = new();
    private static TableDef[] _all = [];

    public static readonly TableDef<QueryRecord> Queries =
        Register(new TableDef<QueryRecord>("queries", QueryRecordSchema.Instance, r => r.Language, r => r.QueryId));

    public static readonly TableDef<TokenizedQueryRecord> Tokenized = Register(
        new TableDef<TokenizedQueryRecord>("tokenized", TokenizedQueryRecordSchema.Instance, r => r.Language,
            r => r.QueryId));

    /// <summary>One record per attributed query and method: sorted by query, then method, so a part's bytes do not
    /// depend on the order the methods ran in.</summary>
    public static readonly TableDef<AttributionRecord> Attributions = Register(
        new TableDef<AttributionRecord>("attributions", AttributionRecordSchema.Instance, r => r.Language,
            r => MethodKey(r.QueryId, r.Method)));

    public static readonly TableDef<KnSetRecord> KnSets = Register(
        new TableDef<KnSetRecord>("kn_sets", KnSetRecordSchema.Instance, r => r.Language,
            r => MethodKey(r.QueryId, r.Method)));

    /// <summary>
    /// Bad input of the run's chunks, in the language of the query it came from (bad benchmark lines, found before
    /// any query exists, are in <c>language=unknown</c>).
    /// </summary>
    public static readonly TableDef<QuarantineRecord> Quarantine = Register(
        new TableDef<QuarantineRecord>("quarantine", QuarantineRecordSchema.Instance,
            r => QueryRecord.LanguageOfId(r.RecordId) ?? "unknown",
            r => $"{r.Source}\u0000{r.Line:D9}\u0000{r.RecordId}\u0000{r.Reason}\u0000{r.Stage}"));

    /// <summary>
    /// Every tokenized query's top-1 prediction, localized or not (after the tables the first builds wrote, so their
    /// order stays).
    /// </summary>
    public static readonly TableDef<PredictionRecord> Predictions = Register(
        new TableDef<PredictionRecord>("predictions", PredictionRecordSchema.Instance, r => r.Language,
            r => r.QueryId));

    /// <summary>One record per fact, language and method: refined KNs and MATRICE's per-language sets.</summary>
    public static readonly TableDef<FactKnRecord> FactKns = Register(
        new TableDef<FactKnRecord>("fact_kns", FactKnRecordSchema.Instance, r => r.Language,
            r => $"{r.FactId}\u0000{r.Method}"));

    /// <summary>One record per fact, method and MATRICE variant pair; partitioned by method (a fact spans every
    /// language).</summary>
    public static readonly TableDef<MatriceRecord> Matrice = Register(
        new TableDef<MatriceRecord>("matrice", MatriceRecordSchema.Instance, r => r.Method,
            r => $"{r.FactId}\u0000{r.QueryVariant}\u0000{r.LanguageVariant}", partitionColumn: "method"));

    /// <summary>One record per evaluated query, method and leave-one-language-out arm.</summary>
    public static readonly TableDef<LoloRecord> Lolo = Register(
        new TableDef<LoloRecord>("lolo", LoloRecordSchema.Instance, r => r.Language,
            r => $"{MethodKey(r.QueryId, r.Method)}\u0000{r.Arm}"));

    /// <summary>One record per fact, language and method: CS₁, CS₂ and the static class.</summary>
    public static readonly TableDef<ConsistencyRecord> Consistency = Register(
        new TableDef<ConsistencyRecord>("consistency", ConsistencyRecordSchema.Instance, r => r.Language,
            r => $"{r.FactId}\u0000{r.Method}"));

    /// <summary>One record per query and set scaling of the query-localization study.</summary>
    public static readonly TableDef<QueryInterventionRecord> QlInterventions = Register(
        new TableDef<QueryInterventionRecord>("ql_interventions", QueryInterventionRecordSchema.Instance,
            r => r.Language, r => string.Join('\u0000', MethodKey(r.QueryId, r.Method), r.Analysis, r.Arm,
                r.SourceQuery, r.Control ? "1" : "0", r.Alpha.ToString("R", CultureInfo.InvariantCulture))));

    /// <summary>One record per query, variant, control and α of the knowledge-synapse probe.</summary>
    public static readonly TableDef<SynapseRecord> Synapses = Register(
        new TableDef<SynapseRecord>("synapses", SynapseRecordSchema.Instance, r => r.Language,
            r => string.Join('\u0000', r.QueryId, r.Variant, r.Control ? "1" : "0",
                r.Alpha.ToString("R", CultureInfo.InvariantCulture))));

    /// <summary>Per layer, one query per fact: attention and KN activations before and after.</summary>
    public static readonly TableDef<SynapseHeatmapRecord> SynapseHeatmaps = Register(
        new TableDef<SynapseHeatmapRecord>("synapse_heatmaps", SynapseHeatmapRecordSchema.Instance, r => r.Language,
            r => $"{r.QueryId}\u0000{r.Layer:D4}"));

    /// <summary>One record per edit of the evaluation split: query, method, op, selection or its control.</summary>
    public static readonly TableDef<EditRecord> Edits = Register(
        new TableDef<EditRecord>("edits", EditRecordSchema.Instance, r => r.Language, EditKey));

    /// <summary>The dev pass's edits (tuning only), one per grid point too: written once, before the graph.</summary>
    public static readonly TableDef<EditRecord> EditDev = Register(
        new TableDef<EditRecord>("edit_dev", EditRecordSchema.Instance, r => r.Language, EditKey));

    private static string EditKey(EditRecord r) => string.Join('\u0000', MethodKey(r.QueryId, r.Method), r.Op,
        r.Selection, r.Control ? "1" : "0", Invariant(r.Beta2), Invariant(r.Threshold), Invariant(r.Lambda2));

    private static string Invariant(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    // NUL sorts before every character a query id holds, so one query's methods stay together.
    private static string MethodKey(string queryId, string method) => $"{queryId}\u0000{method}";

    /// <summary>Every registered table, in registration order.</summary>
    public static IReadOnlyList<TableDef> All => Volatile.Read(ref _all);

    public static IEnumerable<string> Names => All.Select(t => t.Name);

    public static TableDef? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>
    /// Adds a table (the built-in ones above; tests add their own the same way). Registering the same definition
    /// again is a no-op; another table under a taken name is an error.
    /// </summary>
    public static TDef Register<TDef>(TDef table) where TDef : TableDef
    {
        ArgumentNullException.ThrowIfNull(table);
        lock (Gate)
        {
            if (_all.Contains(table))
                return table;
            if (_all.Any(t => t.Name == table.Name))
                throw new ArgumentException($"a table named '{table.Name}' is already registered", nameof(table));
            // Copy on write: readers take the array without the lock and never see it change under them.
            Volatile.Write(ref _all, [.. _all, table]);
            return table;
        }
    }
}
