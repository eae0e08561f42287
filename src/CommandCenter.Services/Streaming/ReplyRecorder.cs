using CommandCenter.Services.Conversations;
using CommandCenter.Services.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CommandCenter.Services.Streaming;

/// <summary>What a <see cref="LiveReply"/> needs recorded; the seam its lifecycle is tested through.</summary>
internal interface IReplyRecorder
{
    /// <summary>Inserts the reply's rows as Anthropic began it; retries as <see cref="SettleAsync"/> does.</summary>
    /// <exception cref="StreamStartException">The conversation is gone or busy, or the database refused the rows.</exception>
    Task RecordStartAsync(ReplyRows rows, ReplySnapshot snapshot, CancellationToken ct);

    /// <summary>Returns once the end is stored; retries until then or until <paramref name="ct"/> gives up.</summary>
    /// <exception cref="ReplyNotRecordedException">The database refused the write for good.</exception>
    Task<CostEvent> SettleAsync(ReplyRows rows, ReplySnapshot end, CancellationToken ct);

    /// <summary>Records the end of a call Anthropic paused and the start of the call that continues it; retries as <see cref="SettleAsync"/> does.</summary>
    Task ContinueAsync(ReplyRows rows, ReplySnapshot paused, CancellationToken ct);
}

/// <summary>A write the database refused for a reason retrying cannot change; the reply's watchers are told.</summary>
public sealed class ReplyNotRecordedException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Every write of a reply, and nothing else writes its rows: one insert at the start (after Anthropic's
/// <c>message_start</c>, so even a reply whose server dies is recorded with the input it was billed for) and one update
/// at the end. Both retry through passing database failures — broken pooled connections, restarts, a full server —
/// with bounded exponential backoff, for as long as the caller lets them: by then Anthropic has billed the call.
/// </summary>
public sealed partial class ReplyRecorder(IDbContextFactory<CommandCenterDbContext> dbFactory, TimeProvider clock, ILogger<ReplyRecorder> logger) : IReplyRecorder
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    // A failure that is not a passing one (a constraint, a bug) is tried this often before the write is given up.
    private const int PermanentFailureAttempts = 3;

    /// <summary>
    /// Inserts the rows as <paramref name="snapshot"/> has them — running, or already failed when Anthropic refused the
    /// call — retrying until the insert lands or <paramref name="ct"/> gives up.
    /// </summary>
    /// <exception cref="StreamStartException">The conversation is gone or busy, or the database refused the rows.</exception>
    internal async Task RecordStartAsync(ReplyRows rows, ReplySnapshot snapshot, CancellationToken ct)
    {
        rows.Apply(snapshot, clock.GetUtcNow());
        try
        {
            await WithRetriesAsync(rows, (db, attempt) => InsertAsync(db, rows, attempt, ct), ct);
            LogStartRecorded(logger, rows.Trace.Id, rows.Trace.OwnerId, rows.Trace.Status);
        }
        catch (Exception e) when (e is StreamStartException or ReplyNotRecordedException)
        {
            // Anthropic may already have billed the input: the log keeps what no trace can.
            var failure = e as StreamStartException ?? new StreamStartException(StreamStartFailure.Unavailable, "The reply could not be recorded.");
            LogStartNotRecorded(logger, rows.Trace.Id, failure.Failure, snapshot.Usage.InputTokens, rows.Trace.OwnerId);
            await ReleaseChargesAsync(rows);
            throw failure;
        }
    }

    Task IReplyRecorder.RecordStartAsync(ReplyRows rows, ReplySnapshot snapshot, CancellationToken ct) => RecordStartAsync(rows, snapshot, ct);

    // The caller is waiting for the refusal; the database gets this long to record it.
    private static readonly TimeSpan RefusalWriteTimeout = TimeSpan.FromSeconds(10);

    /// <summary>What a refused call's trace and error say: a 404 for the model in words, anything else as Anthropic sent it.</summary>
    internal static string RefusalError(string model, Anthropic.AnthropicApiException e) => e is { StatusCode: 404, ErrorType: "not_found_error" }
        // What Anthropic says of a model it no longer serves (ANTHROPIC.md §1: a bare 404 with a generic message).
        ? $"Model {model} is not available: Anthropic answered 404 (not_found_error), as it does for a retired or unknown model. An admin can move the agent to a current model."
        : $"Anthropic API error {e.StatusCode} ({e.ErrorType}): {e.UpstreamMessage}";

    /// <summary>Records a call Anthropic refused: its rows are written once, already failed. Returns whether they landed in time.</summary>
    internal async Task<bool> RecordRefusalAsync(ReplyRows rows, Anthropic.AnthropicApiException e, string error)
    {
        LogUpstreamRefused(logger, rows.Trace.Id, e.StatusCode, e.ErrorType);
        using var patience = new CancellationTokenSource(RefusalWriteTimeout);
        try
        {
            await RecordStartAsync(rows, new ReplySnapshot(ReplyOutcome.Failed, default)
            {
                Error = error,
                UpstreamStatus = e.StatusCode,
                UpstreamRequestId = e.RequestId,
            }, patience.Token);
            return true;
        }
        catch (Exception unrecorded) when (unrecorded is OperationCanceledException or StreamStartException)
        {
            // The caller hears of the refusal either way; the log keeps what the trace could not.
            LogRefusalNotRecorded(logger, rows.Trace.Id, e.StatusCode);
            return false;
        }
    }

    async Task<CostEvent> IReplyRecorder.SettleAsync(ReplyRows rows, ReplySnapshot end, CancellationToken ct)
    {
        var cost = rows.Apply(end, clock.GetUtcNow());
        var usage = rows.TotalUsage;
        await WithRetriesAsync(rows, (db, _) => UpdateAsync(db, rows, ct), ct);
        LogSettled(logger, rows.Trace.Id, rows.Trace.Status, usage.InputTokens, usage.OutputTokens, cost.TotalCost, rows.Session.DurationMs ?? 0);
        return new CostEvent(
            usage.InputTokens, usage.OutputTokens, usage.CacheWriteTokens, usage.CacheReadTokens,
            cost.TotalCost, cost.CacheSavings, rows.Session.ModelUsed, end.StopReason, end.OutputEstimated,
            usage.WebSearchRequests > 0 ? new ServerToolUse(usage.WebSearchRequests) : null, cost.ToolFees, usage.ThinkingTokens, cost.Classes);
    }

    async Task IReplyRecorder.ContinueAsync(ReplyRows rows, ReplySnapshot paused, CancellationToken ct)
    {
        var ended = rows.Continue(paused, clock.GetUtcNow());
        var next = rows.Session;
        await WithRetriesAsync(rows, async (db, attempt) =>
        {
            // States set one by one: a graph update would take the new session for an existing row.
            db.Entry(rows.Trace).State = EntityState.Modified;
            db.Entry(ended).State = EntityState.Modified;
            db.Entry(next).State = EntityState.Added;
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } && attempt > 0)
            {
                // An earlier attempt landed, but its answer was lost with the connection.
            }
        }, ct);
        LogContinued(logger, rows.Trace.Id, rows.Trace.Sessions.Count, paused.Usage.InputTokens, paused.Usage.OutputTokens, ended.Cost);
    }

    private async Task InsertAsync(CommandCenterDbContext db, ReplyRows rows, int attempt, CancellationToken ct)
    {
        db.Add(rows.Trace);
        if (rows.Conversation is { } conversation)
        {
            if (rows.IsNewConversation)
            {
                db.Conversations.Add(conversation);
            }
            else
            {
                db.Conversations.Attach(conversation).Property(c => c.UpdatedAt).IsModified = true;
            }

            db.Add(rows.Reply!);
            if (rows.IsNewQuestion)
            {
                db.Add(rows.Question!);
            }
        }

        foreach (var replaced in rows.Replaced)
        {
            replaced.Superseded = true;
            var entry = db.Attach(replaced);
            entry.Property(m => m.Superseded).IsModified = true;
            if (replaced.Role == MessageRole.User)
            {
                // An edited question's version is set aside with its reply, which comes back with it if it is chosen again.
                replaced.ChosenReplyId = rows.Replaced.LastOrDefault(m => m.Role == MessageRole.Assistant)?.Id;
                entry.Property(m => m.ChosenReplyId).IsModified = true;
            }
        }

        if (rows.Trace.Status != Traces.TraceStatus.Running)
        {
            // Refused by Anthropic: settled at once, with the rows that say so.
            db.UpdateRange(rows.Charges);
        }

        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            await using var check = await dbFactory.CreateDbContextAsync(ct);
            if (attempt > 0 && await check.TaskTraces.AnyAsync(t => t.Id == rows.Trace.Id, ct))
            {
                return; // An earlier attempt landed, but its answer was lost with the connection.
            }

            // The unique (conversation, position) index: another instance started a message in this conversation at the same moment.
            throw StreamStartException.ConversationBusy();
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation } || e is DbUpdateConcurrencyException)
        {
            throw new StreamStartException(StreamStartFailure.ConversationNotFound, $"Conversation with ID {rows.Conversation?.Id} not found");
        }
    }

    /// <summary>
    /// Gives back what a reply that will never be recorded reserved on budgets. Best effort, once: if the database is
    /// away, the charges stay reserved until the next start of an instance settles them (<see cref="Traces.StaleTraceReaper"/>).
    /// </summary>
    internal async Task ReleaseChargesAsync(ReplyRows rows)
    {
        if (rows.Charges.Count == 0)
        {
            return;
        }

        try
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await using var db = await dbFactory.CreateDbContextAsync(patience.Token);
            await db.BudgetCharges.Where(c => c.TraceId == rows.Trace.Id && !c.Settled)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Amount, 0m).SetProperty(c => c.Settled, true), patience.Token);
        }
        catch (Exception e)
        {
            LogReleaseFailed(logger, e, rows.Trace.Id);
        }
    }

    private static async Task UpdateAsync(CommandCenterDbContext db, ReplyRows rows, CancellationToken ct)
    {
        // Every column of the three rows, so a retry writes the same as the first attempt whatever that one did.
        db.Update(rows.Trace);
        if (rows.Reply is { } reply)
        {
            db.Update(reply);
        }

        db.UpdateRange(rows.Charges);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException) when (rows.Reply is not null && db.Entry(rows.Reply).State == EntityState.Modified)
        {
            // The conversation was deleted mid-reply: its messages are gone, the trace and its cost must still be recorded.
            db.Entry(rows.Reply).State = EntityState.Detached;
            await db.SaveChangesAsync(ct);
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> on a fresh context until it succeeds: through passing failures for as long as
    /// <paramref name="ct"/> allows, through others a few times. Refusals that retrying cannot change pass through.
    /// </summary>
    private async Task WithRetriesAsync(ReplyRows rows, Func<CommandCenterDbContext, int, Task> write, CancellationToken ct)
    {
        var delay = FirstRetryDelay;
        var permanentFailures = 0;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                // Each write is one batch, which PostgreSQL runs as one implicit transaction (a single Sync at its end):
                // EF's own BEGIN and COMMIT would only add round trips (bench/RESULTS.md).
                db.Database.AutoTransactionBehavior = AutoTransactionBehavior.Never;
                await write(db, attempt);
                if (attempt > 0)
                {
                    LogWriteLanded(logger, rows.Trace.Id, attempt + 1);
                }

                return;
            }
            catch (Exception e) when (e is not StreamStartException && !ct.IsCancellationRequested)
            {
                if (DatabaseFailures.IsTransient(e))
                {
                    LogWriteRetry(logger, rows.Trace.Id, attempt + 1, DatabaseFailures.Describe(e), delay);
                }
                else if (++permanentFailures < PermanentFailureAttempts)
                {
                    LogWriteFailed(logger, e, rows.Trace.Id, attempt + 1, delay);
                }
                else
                {
                    LogWriteGivenUp(logger, e, rows.Trace.Id, attempt + 1);
                    throw new ReplyNotRecordedException("The reply could not be recorded.", e);
                }
            }

            await Task.Delay(delay * (0.8 + (Random.Shared.NextDouble() * 0.4)), clock, ct);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trace {TraceId}: Anthropic refused the call with {StatusCode} ({ErrorType})")]
    private static partial void LogUpstreamRefused(ILogger logger, string traceId, int statusCode, string errorType);

    [LoggerMessage(Level = LogLevel.Error, Message = "Trace {TraceId}: Anthropic refused the call with {StatusCode} and the refusal could not be recorded")]
    private static partial void LogRefusalNotRecorded(ILogger logger, string traceId, int statusCode);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Trace {TraceId} of user {UserId} recorded as {Status}")]
    private static partial void LogStartRecorded(ILogger logger, string traceId, string userId, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Trace {TraceId} {Status}: {InputTokens} in, {OutputTokens} out, ${Cost}, {DurationMs} ms")]
    private static partial void LogSettled(ILogger logger, string traceId, string status, int inputTokens, int outputTokens, decimal cost, int durationMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Trace {TraceId}: Anthropic paused the turn ({InputTokens} in, {OutputTokens} out, ${Cost}); call {Call} continues it")]
    private static partial void LogContinued(ILogger logger, string traceId, int call, int inputTokens, int outputTokens, decimal cost);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trace {TraceId}: write attempt {Attempt} failed ({Failure}); retrying in {Delay}")]
    private static partial void LogWriteRetry(ILogger logger, string traceId, int attempt, string failure, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Trace {TraceId}: write attempt {Attempt} failed unexpectedly; retrying in {Delay}")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string traceId, int attempt, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Trace {TraceId}: write attempt {Attempt} failed unexpectedly; giving up")]
    private static partial void LogWriteGivenUp(ILogger logger, Exception exception, string traceId, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Trace {TraceId}: the start could not be recorded ({Failure}); {InputTokens} input tokens of user {UserId} are in no trace")]
    private static partial void LogStartNotRecorded(ILogger logger, string traceId, StreamStartFailure failure, int inputTokens, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trace {TraceId}: its budget reservation could not be released now; the next start settles it")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string traceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Trace {TraceId}: written on attempt {Attempt}")]
    private static partial void LogWriteLanded(ILogger logger, string traceId, int attempt);
}
