using Npgsql;

namespace CommandCenter.E2E.Infrastructure;

/// <summary>A database of its own for one test class, on the PostgreSQL server the test command started; dropped afterwards.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string _adminConnectionString;

    private TestDatabase(string name, string connectionString, string adminConnectionString)
    {
        Name = name;
        ConnectionString = connectionString;
        _adminConnectionString = adminConnectionString;
    }

    public string Name { get; }
    public string ConnectionString { get; }

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("CC_TEST_POSTGRES")
        ?? throw new InvalidOperationException("CC_TEST_POSTGRES is not set: run the tests with scripts/test.sh, which starts PostgreSQL.");

    /// <summary>A name for a database that does not exist yet on the shared server (or <paramref name="adminConnectionString"/>'s); the app under test creates and migrates it.</summary>
    public static TestDatabase Reserve(string? adminConnectionString = null)
    {
        adminConnectionString ??= AdminConnectionString;
        var name = $"cc_e2e_{Guid.NewGuid():N}";
        var connectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name, Pooling = true }.ConnectionString;
        return new TestDatabase(name, connectionString, adminConnectionString);
    }

    public async Task<NpgsqlConnection> OpenAsync()
    {
        // Unpooled: a test that restarts the server must not meet its own dead connections.
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Runs a query and returns its rows as dictionaries keyed by column name.</summary>
    public async Task<List<Dictionary<string, object?>>> QueryAsync(string sql, params object[] parameters)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, object?>>();
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, object?>();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    public async Task<Dictionary<string, object?>> SingleAsync(string sql, params object[] parameters) => (await QueryAsync(sql, parameters)).ShouldHaveSingleItem();

    public async ValueTask DisposeAsync()
    {
        await using (var mine = new NpgsqlConnection(ConnectionString))
        {
            NpgsqlConnection.ClearPool(mine);
        }

        await using var admin = new NpgsqlConnection(_adminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
