namespace KnPipeline.Stages.Records;

/// <summary>
/// One bad input record, set aside so the run goes on. <see cref="Reason"/> is a short snake_case code from
/// <see cref="QuarantineReasons"/>; <see cref="Detail"/> says what exactly was wrong, for a human.
/// </summary>
/// <param name="Source">The file the record came from, relative to the benchmark folder (or a stage name).</param>
/// <param name="Line">1-based line number; 0 when the input is not line-based.</param>
/// <param name="RecordId">The record's id when it could be read (fact_id, template_id, query_id), else empty.</param>
/// <param name="Stage">The stage that rejected it: <c>data</c>, <c>query_expansion</c>, <c>tokenization</c>.</param>
/// <param name="Reason">Short snake_case code.</param>
/// <param name="Detail">Human-readable detail.</param>
public sealed record QuarantineRecord(
    string Source,
    int Line,
    string RecordId,
    string Stage,
    string Reason,
    string Detail)
{
    /// <summary>Version of this record's Parquet schema, written as <c>kn.schema_version</c>.</summary>
    public const string SchemaVersion = "quarantine/1";
}
