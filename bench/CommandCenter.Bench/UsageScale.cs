using System.Diagnostics;
using Npgsql;

namespace CommandCenter.Bench;

/// <summary>
/// GET /api/usage over a million traces: generated in PostgreSQL (a year of replies spread over the bench's users and
/// agents), then a 30-day breakdown by day and agent asked over HTTP, for an administrator (everyone) and an operator.
/// </summary>
internal static class UsageScale
{
    public const int Traces = 1_000_000;

    public static async Task SeedAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        // One statement per table; the same g gives the trace and its session the same owner, agent and time.
        const string rows = """
            FROM generate_series(1, 1000000) g,
                 LATERAL (SELECT now() - (g % 365) * interval '1 day' - (g % 86400) * interval '1 second' AS at,
                                 (SELECT array_agg("Id" ORDER BY "Id") FROM "AspNetUsers") AS owners,
                                 (SELECT array_agg(id ORDER BY id) FROM agents) AS agents) x
            """;
        string[] statements =
        [
            $"""
            INSERT INTO task_trace (id, "ownerId", "masterAgentId", instruction, status, "totalCost", "totalTokens", "instanceKey", "startedAt", "completedAt", "createdAt")
            SELECT 'seed-' || g, owners[1 + g % cardinality(owners)], agents[1 + g % cardinality(agents)], 'seeded', 'completed', 0.001234, 1500, 0, at, at, at
            {rows}
            """,
            $"""
            INSERT INTO trace_sessions (id, "taskTraceId", "ownerId", "agentId", instruction, status, "modelUsed", "sessionType", cost, "tokensIn", "tokensOut",
                "cacheWriteTokens", "cacheWrite1hTokens", "cacheReadTokens", "costEstimated", "modelPriceId", "inputPricePerMTok", "outputPricePerMTok",
                "historyMessagesSent", "historyMessagesTrimmed", "startedAt", "completedAt", "createdAt")
            SELECT 'seed-' || g, 'seed-' || g, owners[1 + g % cardinality(owners)], agents[1 + g % cardinality(agents)], 'seeded',
                (ARRAY['success', 'success', 'success', 'failed', 'cancelled'])[1 + g % 5], 'claude-sonnet-4-6', 'command-center',
                0.001234, 1000, 400, g % 7 * 10, 0, g % 3 * 100, g % 50 = 0, (SELECT min(id) FROM model_prices), 3, 15, 0, 0, at, at, at
            {rows}
            """,
            // As autovacuum leaves older rows: all-visible, so that the report reads the index alone.
            "VACUUM ANALYZE task_trace",
            "VACUUM ANALYZE trace_sessions",
        ];
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Milliseconds per answer, sorted, after two unmeasured ones.</summary>
    public static async Task<List<double>> MeasureAsync(Uri baseUrl, string token, int runs)
    {
        using var http = new HttpClient { BaseAddress = baseUrl };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var to = DateOnly.FromDateTime(DateTime.UtcNow);
        var query = $"/api/usage?from={to.AddDays(-29):yyyy-MM-dd}&to={to:yyyy-MM-dd}&groupBy=day,agent";
        var times = new List<double>();
        for (var i = 0; i < runs + 2; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(query);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
            if (i >= 2)
            {
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        return [.. times.Order()];
    }
}
