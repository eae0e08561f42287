using Npgsql;

namespace CommandCenter.Bench;

/// <summary>
/// What PostgreSQL ran for the bench's database over a phase, from <c>pg_stat_statements</c> (scripts/bench.sh preloads it
/// on the bench's own cluster when the contrib module is installed): each statement's calls and execution time.
/// </summary>
internal sealed class StatementCounts(string adminConnectionString, string database)
{
    /// <summary>Whether pg_stat_statements is loaded; if not, the phases report no statement counts.</summary>
    public async Task<bool> AvailableAsync()
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using var show = new NpgsqlCommand("SHOW shared_preload_libraries", connection);
        if (!((string)(await show.ExecuteScalarAsync())!).Contains("pg_stat_statements", StringComparison.Ordinal))
        {
            return false;
        }

        await using var create = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", connection);
        await create.ExecuteNonQueryAsync();
        return true;
    }

    public async Task ResetAsync()
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using var reset = new NpgsqlCommand("SELECT pg_stat_statements_reset()", connection);
        await reset.ExecuteNonQueryAsync();
    }

    /// <summary>Each statement run in the bench's database since the reset, most called first.</summary>
    public async Task<List<(string Query, long Calls, double ExecMs)>> ReadAsync()
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand(
            """
            SELECT s.query, s.calls, s.total_exec_time
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = $1
            ORDER BY s.calls DESC, s.total_exec_time DESC
            """, connection) { Parameters = { new() { Value = database } } };
        var rows = new List<(string, long, double)>();
        await using var reader = await read.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetDouble(2)));
        }

        return rows;
    }
}
