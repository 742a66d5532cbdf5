namespace KnPipeline.Stages.Records;

/// <summary>What names the query a row is about: the first columns of every per-query table.</summary>
public interface IQueryKeyed
{
    string QueryId { get; }
    string FactId { get; }
    string Relation { get; }
    string Language { get; }
    string TemplateId { get; }
}

/// <summary>The key columns of one row, set on a record in one <c>with</c> expression when it is read back.</summary>
public sealed record QueryKey(string QueryId, string FactId, string Relation, string Language, string TemplateId)
    : IQueryKeyed
{
    public static QueryKey Of(IQueryKeyed row) =>
        new(row.QueryId, row.FactId, row.Relation, row.Language, row.TemplateId);
}

/// <summary>
/// Declares the key columns once for every per-query table (query_id, fact_id, relation, language, template_id,
/// all required strings, in that order), so the tables cannot drift apart in how they name a query.
/// </summary>
public static class QueryKeyColumns
{
    /// <param name="schema">The schema being declared.</param>
    /// <param name="set">Puts a whole key on a record: <c>(r, k) =&gt; r with { QueryId = k.QueryId, … }</c>.</param>
    public static RecordSchemaBuilder<T> QueryKey<T>(this RecordSchemaBuilder<T> schema, Func<T, QueryKey, T> set)
        where T : IQueryKeyed =>
        schema.String("query_id", r => r.QueryId, (r, v) => set(r, Records.QueryKey.Of(r) with { QueryId = v }))
            .String("fact_id", r => r.FactId, (r, v) => set(r, Records.QueryKey.Of(r) with { FactId = v }))
            .String("relation", r => r.Relation, (r, v) => set(r, Records.QueryKey.Of(r) with { Relation = v }))
            .String("language", r => r.Language, (r, v) => set(r, Records.QueryKey.Of(r) with { Language = v }))
            .String("template_id", r => r.TemplateId, (r, v) => set(r, Records.QueryKey.Of(r) with { TemplateId = v }));
}
