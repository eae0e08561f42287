using CommandCenter.Services.Conversations;
using CommandCenter.Services.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CommandCenter.Services.Traces;

/// <summary>
/// Marks failed the traces (and their replies) left 'running', and settles the budget reservations left open, by instances that no longer hold their lease, once, in the
/// background after start-up. A lease counts as given up only when it is found free twice, more than two keep-alive
/// intervals apart: a database restart frees every lease for a moment, and a live instance retakes its own within one.
/// </summary>
public sealed partial class StaleTraceReaper(IDbContextFactory<CommandCenterDbContext> dbFactory, InstanceLease lease, TimeProvider clock, ILogger<StaleTraceReaper> logger)
    : BackgroundService
{
    /// <summary>The usage already written at the start (what <c>message_start</c> reported) stays: it was billed.</summary>
    public const string DeadInstanceError =
        "The server running this reply stopped before recording its end. The input tokens Anthropic reported at the start are recorded; output after that is unknown.";

    public static readonly TimeSpan ConfirmationDelay = InstanceLease.CheckInterval * 2 + TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            LogChecked(logger, await ReapAsync(stoppingToken));
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // Not fatal: the next start checks again.
            LogCheckFailed(logger, e);
        }
    }

    public async Task<int> ReapAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keys = await db.TaskTraces.Where(t => t.Status == TraceStatus.Running && t.InstanceKey != lease.Key).Select(t => t.InstanceKey)
            .Union(db.BudgetCharges.Where(c => !c.Settled && c.InstanceKey != lease.Key).Select(c => c.InstanceKey))
            .ToListAsync(ct);

        await db.Database.OpenConnectionAsync(ct);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var free = new List<long>();
        foreach (var key in keys)
        {
            if (await TryLockAsync(connection, key, ct))
            {
                free.Add(key);
                await UnlockAsync(connection, key);
            }
        }

        if (free.Count == 0)
        {
            return 0;
        }

        await Task.Delay(ConfirmationDelay, clock, ct);
        var reaped = 0;
        foreach (var key in free)
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
                await UnlockAsync(connection, key);
            }
        }

        return reaped;
    }

    private static async Task UnlockAsync(NpgsqlConnection connection, long key)
    {
        await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection) { Parameters = { new() { Value = key } } };
        await unlock.ExecuteNonQueryAsync(CancellationToken.None);
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
        // Budget reservations settle to what their trace recorded; one whose trace was never written reserved for nothing.
        await db.BudgetCharges.Where(c => c.InstanceKey == key && !c.Settled)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Amount, c => db.TaskTraces.Where(t => t.Id == c.TraceId).Select(t => (decimal?)t.TotalCost).FirstOrDefault() ?? 0m)
                .SetProperty(c => c.Settled, true), ct);
        await transaction.CommitAsync(ct);
        return count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Checked for traces left running by stopped servers: {Count} marked failed")]
    private static partial void LogChecked(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check for traces left running by stopped servers")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);
}
