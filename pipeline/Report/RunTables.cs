using System.Data.Common;
using DuckDB.NET.Data;
using KnPipeline.Runs;

namespace KnPipeline.Report;

/// <summary>
/// The run's Parquet tables as DuckDB views, for the sections whose figures are clearer as SQL (group, unnest, rank)
/// than as loops over records. Each view reads the table's part files by name (every language and shard; never a
/// temporary or set-aside file), with the columns as written; the quarantine table, which has no language column,
/// gets it from its <c>language=xx</c> folder. An in-memory database: nothing is written beside the run.
/// </summary>
public sealed class RunTables : IDisposable
{
    private readonly DuckDBConnection _db = new("DataSource=:memory:");
    private readonly HashSet<string> _present = new(StringComparer.Ordinal);

    public RunTables(RunFolder run, IEnumerable<string> tables)
    {
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
            Execute($"CREATE VIEW {table} AS SELECT * EXCLUDE (filename){language} FROM read_parquet({files}, " +
                    "hive_partitioning = false, union_by_name = true, filename = true)");
            _present.Add(table);
        }
    }

    /// <summary>True when the run has at least one part of the table.</summary>
    public bool Has(string table) => _present.Contains(table);

    /// <summary>True when the table has the column in any of its parts (older parts may lack newer columns).</summary>
    public bool HasColumn(string table, string column) =>
        Has(table) && Rows($"SELECT count(*) FROM (DESCRIBE {table}) WHERE column_name = ?", column)
            is [[long n]] && n > 0;

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
