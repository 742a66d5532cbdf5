using System.Data.Common;
using DuckDB.NET.Data;
using KnPipeline.Runs;

namespace KnPipeline.Report;

/// <summary>
/// The run's Parquet tables as DuckDB views, for the sections whose figures are clearer as SQL (group, unnest, rank)
/// than as loops over records. Each view reads the table's part files by name (every language and shard; never a
/// temporary or set-aside file), with the columns as written; the quarantine table, which has no language column,
/// gets it from its <c>language=xx</c> folder. An in-memory database: nothing is written beside the run.
/// A table with a <c>method</c> column (<c>attributions</c>, <c>kn_sets</c>: one row per query and method) is seen
/// through the run's first method, so every figure keeps the meaning it had with one method; the view
/// <c>&lt;table&gt;_by_method</c> has every method's rows.
/// </summary>
public sealed class RunTables : IDisposable
{
    private readonly DuckDBConnection _db = new("DataSource=:memory:");
    private readonly HashSet<string> _present = new(StringComparer.Ordinal);
    private readonly HashSet<string> _perMethod = new(StringComparer.Ordinal);

    /// <param name="firstMethod">The run's first method (<c>attribution.methods[0]</c>); null for runs older than
    /// methods, whose tables have no method column.</param>
    public RunTables(RunFolder run, IEnumerable<string> tables, string? firstMethod = null)
    {
        FirstMethod = firstMethod;
        _db.Open();
        // Two threads at most: the machine running a report may be busy with a run.
        Execute("SET threads = 2");
        foreach (var table in tables)
        {
            var parts = run.Parts(table).ToList();
            if (parts.Count == 0)
                continue;
            string files = "[" + string.Join(", ", parts.Select(Literal)) + "]";
            string language = table == "quarantine"
                ? ", regexp_extract(filename, 'language=([^/]+)/', 1) AS language"
                : "";
            Execute($"CREATE VIEW {table}_by_method AS SELECT * EXCLUDE (filename){language} FROM " +
                    $"read_parquet({files}, hive_partitioning = false, union_by_name = true, filename = true)");
            bool perMethod = firstMethod is not null && HasColumnOf($"{table}_by_method", "method");
            Execute($"CREATE VIEW {table} AS SELECT * FROM {table}_by_method" +
                    (perMethod ? $" WHERE method = {Literal(firstMethod!)}" : ""));
            _present.Add(table);
            if (perMethod)
                _perMethod.Add(table);
        }
    }

    /// <summary>The method the per-method tables' views keep; null when the run has none.</summary>
    public string? FirstMethod { get; }

    /// <summary>True when the table has a method column, so its view keeps <see cref="FirstMethod"/>'s rows and
    /// <c>&lt;table&gt;_by_method</c> has them all.</summary>
    public bool IsPerMethod(string table) => _perMethod.Contains(table);

    /// <summary>True when the run has at least one part of the table.</summary>
    public bool Has(string table) => _present.Contains(table);

    /// <summary>True when the table has the column in any of its parts (older parts may lack newer columns).</summary>
    public bool HasColumn(string table, string column) => Has(table) && HasColumnOf(table, column);

    private bool HasColumnOf(string view, string column) =>
        Rows($"SELECT count(*) FROM (DESCRIBE {view}) WHERE column_name = ?", column) is [[long n]] && n > 0;

    /// <summary>The rows of a query, each as an array of column values (DuckDB's CLR types; NULL as null).</summary>
    public List<object?[]> Rows(string sql, params object[] args)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        foreach (var a in args)
            cmd.Parameters.Add(new DuckDBParameter(a));
        using var r = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (r.Read())
        {
            var row = new object?[r.FieldCount];
            for (int i = 0; i < row.Length; i++)
                row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>One number from a query (0 when it returns NULL).</summary>
    public double Scalar(string sql, params object[] args) =>
        Rows(sql, args) is [[var v, ..], ..] && v is not null ? Convert.ToDouble(v) : 0;

    private void Execute(string sql)
    {
        using DbCommand cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static string Literal(string s) => "'" + s.Replace("'", "''") + "'";

    public void Dispose() => _db.Dispose();
}
