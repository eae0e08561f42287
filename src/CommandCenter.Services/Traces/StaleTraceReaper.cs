using CommandCenter.Services.Conversations;
using CommandCenter.Services.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CommandCenter.Services.Traces;

/// <summary>Marks failed the traces (and their replies) left 'running' by instances that no longer hold their lease.
/// Run after this instance's own lease is taken.</summary>
public sealed partial class StaleTraceReaper(IDbContextFactory<CommandCenterDbContext> dbFactory, InstanceLease lease, TimeProvider clock, ILogger<StaleTraceReaper> logger)
{
    /// <summary>The usage already written at the start (what <c>message_start</c> reported) stays: it was billed.</summary>
    public const string DeadInstanceError =
        "The server running this reply stopped before recording its end. The input tokens Anthropic reported at the start are recorded; output after that is unknown.";

    public async Task<int> ReapAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keys = await db.TaskTraces.Where(t => t.Status == TraceStatus.Running && t.InstanceKey != lease.Key)
            .Select(t => t.InstanceKey).Distinct().ToListAsync(ct);

        var reaped = 0;
        await db.Database.OpenConnectionAsync(ct);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        foreach (var key in keys)
        {
            // Taking the dead instance's lock also stops two starting instances from reaping the same rows at once.
            if (!await TryLockAsync(connection, key, ct))
            {
                continue;
            }

            try
            {
                reaped += await ReapInstanceAsync(db, key, ct);
            }
            finally
            {
                await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection) { Parameters = { new() { Value = key } } };
                await unlock.ExecuteNonQueryAsync(CancellationToken.None);
            }
        }

        if (reaped > 0)
        {
            LogReaped(logger, reaped);
        }

        return reaped;
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, long key, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection) { Parameters = { new() { Value = key } } };
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task<int> ReapInstanceAsync(CommandCenterDbContext db, long key, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var traceIds = db.TaskTraces.Where(t => t.InstanceKey == key && t.Status == TraceStatus.Running).Select(t => t.Id);
        await db.TraceSessions.Where(s => traceIds.Contains(s.TaskTraceId) && s.Status == SessionStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SessionStatus.Failed).SetProperty(x => x.Error, DeadInstanceError).SetProperty(x => x.CompletedAt, now), ct);
        await db.Messages.Where(m => m.TaskTraceId != null && traceIds.Contains(m.TaskTraceId) && m.Status == MessageStatus.Streaming)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, MessageStatus.Failed).SetProperty(x => x.Error, DeadInstanceError).SetProperty(x => x.CompletedAt, now), ct);
        var count = await db.TaskTraces.Where(t => t.InstanceKey == key && t.Status == TraceStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, TraceStatus.Failed).SetProperty(x => x.CompletedAt, now), ct);
        await transaction.CommitAsync(ct);
        return count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Marked {Count} traces failed: their server stopped mid-reply")]
    private static partial void LogReaped(ILogger logger, int count);
}
