namespace KnPipeline.Report.Sections;

/// <summary>
/// How well the model knows the facts it is probed on: top-1 first-token accuracy per language and split, from the
/// <c>predictions</c> table (every tokenized query, localized or not), beside the most-frequent-object baseline, the
/// accuracy of always answering a relation's most common object (what a model gets from the relation alone).
/// </summary>
public sealed class ModelSection : IReportSection
{
    public string Anchor => "model";
    public string Title => "Model";
    public IReadOnlyList<string> Tables => ["predictions", "queries"];
    public IReadOnlyList<string> Figures => ["model_accuracy"];

    /// <summary>
    /// Accuracy and baseline per (language, split). The baseline's object is, per relation and language, the object
    /// of the most facts (ties: the smallest string); a query scores when its gold object is that one.
    /// </summary>
    public const string Sql = """
        WITH facts AS (SELECT DISTINCT relation, language, fact_id, object FROM queries),
        common AS (
            SELECT relation, language, object FROM (
                SELECT relation, language, object,
                       row_number() OVER (PARTITION BY relation, language ORDER BY count(*) DESC, object) AS k
                FROM facts GROUP BY relation, language, object)
            WHERE k = 1)
        SELECT p.language, p.split, count(*) AS queries, avg(p.correct::DOUBLE) AS accuracy,
               avg((q.object = c.object)::DOUBLE) AS baseline
        FROM predictions p JOIN queries q USING (query_id)
        JOIN common c ON c.relation = q.relation AND c.language = q.language
        GROUP BY p.language, p.split ORDER BY p.language, p.split
        """;

    public void Write(ReportContext ctx, SectionWriter w)
    {
        var rows = ctx.Tables.Rows(Sql);
        if (rows.Count == 0)
        {
            w.Text("No predictions: no query was tokenized.");
            return;
        }
        var data = new FigureData("language", "split", "queries", "accuracy", "most_frequent_object_baseline");
        foreach (var r in rows)
            data.Add(r[0], r[1], r[2], FigureData.Num(Convert.ToDouble(r[3])), FigureData.Num(Convert.ToDouble(r[4])));
        var langs = data.Strings("language").Distinct().ToArray();
        var splits = data.Strings("split").Distinct().OrderBy(SplitOrder).ToArray();
        var series = splits.SelectMany(s => new[] { SplitName(s), $"{SplitName(s)}: baseline" }).ToArray();
        var values = new double[langs.Length, series.Length];
        for (int i = 0; i < values.GetLength(0); i++)
            for (int j = 0; j < values.GetLength(1); j++)
                values[i, j] = double.NaN;
        var acc = data.Numbers("accuracy");
        var baseline = data.Numbers("most_frequent_object_baseline");
        var langOf = data.Strings("language");
        var splitOf = data.Strings("split");
        for (int k = 0; k < acc.Length; k++)
        {
            int l = Array.IndexOf(langs, langOf[k]), s = Array.IndexOf(splits, splitOf[k]);
            values[l, 2 * s] = acc[k];
            values[l, 2 * s + 1] = baseline[k];
        }
        w.Text("Top-1 accuracy: the share of tokenized queries whose gold object's first token is the model's top-1 " +
               "prediction, per language and template split (a held-out-language split appears when the data has " +
               "one). The baseline answers every query of a relation with the object most of its facts have in " +
               "that language.");
        w.Figure("model_accuracy", "Top-1 first-token accuracy per language and split, each beside the " +
                 "most-frequent-object baseline.", data, path => Plots.GroupedBars(path,
                 "Accuracy per language and split", "language", "top-1 accuracy (share of queries)",
                 langs.Select(LanguageNames.Of).ToArray(), series, values, width: 1100, yMax: 1.05));
        w.Table(["language", "split", "queries", "accuracy", "baseline"], rows.Select(r => new[]
        {
            LanguageNames.WithCode((string)r[0]!), SplitName((string)r[1]!), r[2]!.ToString()!,
            Convert.ToDouble(r[3]).ToString("F3"), Convert.ToDouble(r[4]).ToString("F3"),
        }));
    }

    private static int SplitOrder(string split) => split switch { "train" => 0, "heldout" => 1, _ => 2 };

    private static string SplitName(string split) => split switch
    {
        "train" => "train",
        "heldout" or "heldout_template" => "held-out template",
        "heldout_language" or "heldout-language" => "held-out language",
        _ => split,
    };
}
