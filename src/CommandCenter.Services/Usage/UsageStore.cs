using System.Data.Common;
using CommandCenter.Services.Data;
using CommandCenter.Services.Pricing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CommandCenter.Services.Usage;

/// <summary>
/// Spend and tokens by class over a range of UTC days, broken down by any of day, agent, model, user and API key, added up by
/// PostgreSQL from the trace rows themselves: the numbers reconcile with the traces to the micro-dollar. Rows come day
/// by day, the biggest spend first within a day.
/// </summary>
public sealed class UsageStore(IDbContextFactory<CommandCenterDbContext> dbFactory)
{
    // The SQL of each dimension; one not grouped by is a NULL, so every query has the same columns.
    private static readonly Dictionary<UsageDimension, string> Columns = new()
    {
        [UsageDimension.Day] = "(s.\"createdAt\" AT TIME ZONE 'UTC')::date",
        [UsageDimension.Agent] = "s.\"agentId\"",
        [UsageDimension.Model] = "s.\"modelUsed\"",
        [UsageDimension.User] = "s.\"ownerId\"",
        [UsageDimension.IntegrationKey] = "s.\"apiKeyId\"",
    };

    /// <param name="ownerId">Only this user's usage; null for everyone's (administrators).</param>
    public async Task<UsageReport> GetAsync(UsageQuery query, string? ownerId, CancellationToken ct)
    {
        string Column(UsageDimension d) => query.GroupBy.Contains(d) ? Columns[d] : "NULL";
        // Grouped by constants too, so that the positions stay the same whatever is grouped.
        var sql = $"""
            SELECT {Column(UsageDimension.Day)}::date, {Column(UsageDimension.Agent)}::text, {Column(UsageDimension.Model)}::text, {Column(UsageDimension.User)}::text,
                count(*) FILTER (WHERE s.status = 'success' AND NOT s.continued)::int,
                count(*) FILTER (WHERE s.status = 'failed' AND NOT s.continued)::int,
                count(*) FILTER (WHERE s.status = 'cancelled' AND NOT s.continued)::int,
                count(*) FILTER (WHERE s.status = 'running' AND NOT s.continued)::int,
                sum(s."tokensIn")::bigint, sum(s."cacheWriteTokens")::bigint, sum(s."cacheWrite1hTokens")::bigint,
                sum(s."cacheReadTokens")::bigint, sum(s."tokensOut")::bigint,
                sum(s.cost), coalesce(sum(s.cost) FILTER (WHERE s."costEstimated"), 0), {Column(UsageDimension.IntegrationKey)}::text,
                sum(s."webSearchRequests")::bigint, sum(s."toolFees"),
                -- Each class at the rates its call was charged: cache reads at the row's own rate, not a multiple of input.
                round(sum(s."tokensIn" * s."inputPricePerMTok") / 1000000, 6), round(sum(s."cacheWriteTokens" * s."cacheWrite5mPricePerMTok") / 1000000, 6),
                round(sum(s."cacheWrite1hTokens" * s."cacheWrite1hPricePerMTok") / 1000000, 6), round(sum(s."cacheReadTokens" * s."cacheReadPricePerMTok") / 1000000, 6),
                round(sum(s."tokensOut" * s."outputPricePerMTok") / 1000000, 6)
            FROM trace_sessions s
            WHERE s."createdAt" >= $1 AND s."createdAt" < $2{(ownerId is not null ? " AND s.\"ownerId\" = $3" : "")}
            GROUP BY 1, 2, 3, 4, 16
            ORDER BY 1, sum(s.cost) DESC, 2, 3, 4, 16
            """;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // Statistics on the day expression (migration SpendControls) let the planner count a breakdown's groups; for several
        // dimensions at once it multiplies their counts, and within the default 4 MB would sort instead of hashing them.
        await using (var memory = new NpgsqlCommand("SET LOCAL work_mem = '32MB'", connection, transaction))
        {
            await memory.ExecuteNonQueryAsync(ct);
        }

        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new() { Value = StartOf(query.From) });
        command.Parameters.Add(new() { Value = StartOf(query.To.AddDays(1)) });
        if (ownerId is not null)
        {
            command.Parameters.Add(new() { Value = ownerId });
        }

        var raw = new List<(UsageRow Row, string? AgentId, string? UserId)>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var row = new UsageRow(
                    reader.IsDBNull(0) ? null : reader.GetFieldValue<DateOnly>(0), TextOrNull(reader, 1), null, TextOrNull(reader, 2), TextOrNull(reader, 3), null,
                    new UsageReplies(reader.GetInt32(4), reader.GetInt32(5), reader.GetInt32(6), reader.GetInt32(7)),
                    new UsageTokens(reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10), reader.GetInt64(11), reader.GetInt64(12)),
                    reader.GetDecimal(13), reader.GetDecimal(14), TextOrNull(reader, 15), null, reader.GetInt64(16), reader.GetDecimal(17),
                    new ClassCosts(Dollars(reader, 18), Dollars(reader, 19), Dollars(reader, 20), Dollars(reader, 21), Dollars(reader, 22)));
                raw.Add((row, row.AgentId, row.UserId));
            }
        }

        // Names for the ids, read once each.
        var agentIds = raw.Select(r => r.AgentId).OfType<string>().Distinct().ToList();
        var agentNames = await db.Agents.AsNoTracking().Where(a => agentIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.Name, ct);
        var userIds = raw.Select(r => r.UserId).OfType<string>().Distinct().ToList();
        var emails = await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email, ct);
        var keyIds = raw.Select(r => r.Row.IntegrationKeyId).OfType<string>().Distinct().ToList();
        var keyNames = await db.IntegrationKeys.AsNoTracking().Where(k => keyIds.Contains(k.Id)).ToDictionaryAsync(k => k.Id, k => k.Name, ct);
        var rows = raw.Select(r => r.Row with
        {
            // A revoked key's rows keep its id; its name went with it.
            IntegrationKeyName = r.Row.IntegrationKeyId is { } key ? keyNames.GetValueOrDefault(key, "revoked key") : null,
            AgentName = r.AgentId is { } agent ? agentNames.GetValueOrDefault(agent) ?? Streaming.ReplyRows.AgentNameOf(agent) : null,
            UserEmail = r.UserId is { } user ? emails.GetValueOrDefault(user) : null,
        }).ToList();

        return new UsageReport(query.From, query.To, query.GroupBy, rows,
            rows.Aggregate(UsageReplies.Zero, (sum, r) => sum.Plus(r.Replies)),
            rows.Aggregate(UsageTokens.Zero, (sum, r) => sum.Plus(r.Tokens)),
            rows.Sum(r => r.Cost), rows.Sum(r => r.EstimatedCost), rows.Sum(r => r.WebSearchRequests), rows.Sum(r => r.ToolFees),
            rows.Aggregate(default(ClassCosts), (sum, r) => sum + r.Costs));
    }

    private static DateTimeOffset StartOf(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    // The amounts as stored, without the trailing zeros numeric(…, 6) arithmetic leaves.
    private static decimal Dollars(DbDataReader reader, int ordinal) => reader.GetDecimal(ordinal) / 1.000000000000000000000000000000000m;

    private static string? TextOrNull(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
