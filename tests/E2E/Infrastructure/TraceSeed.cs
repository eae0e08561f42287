namespace CommandCenter.E2E.Infrastructure;

/// <summary>One finished reply's trace rows, written straight into the database, for reports over known numbers and days.</summary>
public sealed record SeededTrace(
    string OwnerId, string AgentId, string Model, DateTimeOffset At, string SessionStatus, decimal Cost,
    int Input = 0, int Output = 0, int CacheWrite5m = 0, int CacheWrite1h = 0, int CacheRead = 0, bool CostEstimated = false);

public static class TraceSeed
{
    public static async Task<string> InsertAsync(this TestDatabase database, SeededTrace t)
    {
        var id = Guid.NewGuid().ToString("N");
        var traceStatus = t.SessionStatus switch { "success" => "completed", var other => other };
        // The row in effect, its rates copied onto the session as the app copies them.
        var price = await database.SingleAsync(
            """
            SELECT id, "inputPerMTok", "cacheWrite5mPerMTok", "cacheWrite1hPerMTok", "cacheReadPerMTok", "outputPerMTok"
            FROM model_prices WHERE model = $1 AND "effectiveFrom" <= now() ORDER BY "effectiveFrom" DESC LIMIT 1
            """, t.Model);
        await database.QueryAsync(
            """
            INSERT INTO task_trace (id, "ownerId", "masterAgentId", instruction, status, "totalCost", "totalTokens", "instanceKey", "startedAt", "completedAt", "createdAt")
            VALUES ($1, $2, $3, 'seeded', $4, $5, $6, 0, $7, $7, $7);
            """,
            id, t.OwnerId, t.AgentId, traceStatus, t.Cost, t.Input + t.Output + t.CacheWrite5m + t.CacheWrite1h + t.CacheRead, t.At);
        await database.QueryAsync(
            """
            INSERT INTO trace_sessions (id, "taskTraceId", "ownerId", "agentId", instruction, status, "modelUsed", "sessionType", cost, "tokensIn", "tokensOut",
                "cacheWriteTokens", "cacheWrite1hTokens", "cacheReadTokens", "costEstimated", "modelPriceId", "inputPricePerMTok", "outputPricePerMTok",
                "cacheWrite5mPricePerMTok", "cacheWrite1hPricePerMTok", "cacheReadPricePerMTok",
                "historyMessagesSent", "historyMessagesTrimmed", "startedAt", "completedAt", "createdAt")
            VALUES ($1, $1, $14, $2, 'seeded', $3, $4, 'command-center', $5, $6, $7, $8, $9, $10, $11, $12, $15, $16, $17, $18, $19, 0, 0, $13, $13, $13);
            """,
            id, t.AgentId, t.SessionStatus, t.Model, t.Cost, t.Input, t.Output, t.CacheWrite5m, t.CacheWrite1h, t.CacheRead, t.CostEstimated, (int)price["id"]!, t.At, t.OwnerId,
            price["inputPerMTok"]!, price["outputPerMTok"]!, price["cacheWrite5mPerMTok"]!, price["cacheWrite1hPerMTok"]!, price["cacheReadPerMTok"]!);
        return id;
    }
}
