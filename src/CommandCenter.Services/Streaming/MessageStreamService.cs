using System.Security.Cryptography;
using System.Text.Json;
using CommandCenter.Services.Agents;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.ApiKeys;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Data;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Traces;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace CommandCenter.Services.Streaming;

/// <summary>
/// The one streaming pipeline behind both the Command Center page and the SSE API: validate, load the caller's key,
/// agent, price and conversation, record the trace, open one upstream call, then relay its events (see <see cref="MessageStream"/>).
/// Two database writes per message — one at the start, one at the end — whatever the number of chunks.
/// </summary>
public sealed partial class MessageStreamService(
    IDbContextFactory<CommandCenterDbContext> dbFactory,
    ApiKeyVault keys,
    PriceBook prices,
    AnthropicClient anthropic,
    InstanceLease instance,
    TimeProvider clock,
    ILogger<MessageStreamService> logger)
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Starts a reply. Refusals before any event throw <see cref="StreamStartException"/>.</summary>
    public async Task<MessageStream> StartAsync(string userId, SendMessageRequest request, CancellationToken ct = default)
    {
        var errors = request.Validate();
        if (errors.Count > 0)
        {
            throw new StreamStartException(StreamStartFailure.Invalid, "One or more fields are invalid.") { Errors = errors };
        }

        var startTimestamp = clock.GetTimestamp();
        var now = clock.GetUtcNow();
        var text = request.Message!;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var apiKey = await RevealKeyAsync(db, userId, ct)
            ?? throw new StreamStartException(StreamStartFailure.NoApiKey, "No Anthropic API key configured");

        var agent = await db.Agents.AsNoTracking().SingleOrDefaultAsync(a => a.Id == request.AgentId, ct)
            ?? throw new StreamStartException(StreamStartFailure.AgentNotFound, $"Agent with ID {request.AgentId} not found");
        if (!agent.IsActive)
        {
            throw new StreamStartException(StreamStartFailure.AgentInactive, $"Agent {agent.Name} is not active");
        }

        var price = await prices.FindCurrentAsync(db, agent.Model, ct)
            ?? throw StreamStartException.Invalid("agentId", $"Model {agent.Model} has no price; an admin must add one before agent {agent.Name} can be used.");

        var (conversation, history) = await LoadConversationAsync(db, userId, agent, request.ConversationId, text, now, ct);
        var prompt = ConversationHistory.Build(agent.SystemPrompt, history, text, price.ContextWindow, agent.MaxTokens)
            ?? throw StreamStartException.Invalid("message", $"The message does not fit the context window of {agent.Model}.");

        var turn = Record(db, userId, agent, price, conversation, history.Count, text, prompt, now, startTimestamp);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (request.ConversationId is not null && e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            // The unique (conversation, position) index: another message of this conversation started at the same moment.
            throw new StreamStartException(StreamStartFailure.ConversationBusy, "This conversation is already answering another message; wait for it to finish.");
        }

        LogStarted(logger, turn.Trace.Id, agent.Id, agent.Model, prompt.HistoryMessagesSent);
        var wireRequest = new WireRequest(agent.Model, agent.MaxTokens, prompt.System, prompt.Messages);
        AnthropicStream upstream;
        try
        {
            upstream = await anthropic.OpenStreamAsync(apiKey, wireRequest, ct);
        }
        catch (AnthropicApiException e)
        {
            turn.UpstreamStatus = e.StatusCode;
            turn.UpstreamRequestId = e.RequestId;
            LogUpstreamRefused(logger, turn.Trace.Id, e.StatusCode, e.ErrorType);
            var error = $"Anthropic API error {e.StatusCode} ({e.ErrorType}): {e.UpstreamMessage}";
            await SettleAsync(turn, TurnOutcome.Failed, error);
            throw new StreamStartException(StreamStartFailure.Upstream, error)
            {
                UpstreamStatus = e.StatusCode,
                UpstreamErrorType = e.ErrorType,
                TraceId = turn.Trace.Id,
            };
        }
        catch (OperationCanceledException)
        {
            await SettleAsync(turn, TurnOutcome.Cancelled, null);
            throw;
        }
        catch (Exception e)
        {
            // Whatever else went wrong, the rows written above must not stay 'running'.
            await SettleAsync(turn, TurnOutcome.Failed, "The call to Anthropic failed unexpectedly.");
            LogStreamBroken(logger, turn.Trace.Id, e.GetType().Name);
            throw;
        }

        turn.UpstreamRequestId = upstream.RequestId;
        var meta = new MetaEvent(conversation.Id, turn.Trace.Id, turn.Reply.Id, prompt.HistoryMessagesTrimmed);
        return new MessageStream(this, turn, upstream, meta);
    }

    private async Task<string?> RevealKeyAsync(CommandCenterDbContext db, string userId, CancellationToken ct)
    {
        try
        {
            return await keys.RevealAsync(db, userId, ct);
        }
        catch (CryptographicException)
        {
            // The Data Protection key ring that encrypted it is gone: the user must enter the key again.
            throw new StreamStartException(StreamStartFailure.NoApiKey, "No Anthropic API key configured: the stored key can no longer be decrypted; set it again.");
        }
    }

    private static async Task<(Conversation, List<Message>)> LoadConversationAsync(
        CommandCenterDbContext db, string userId, Agent agent, string? conversationId, string text, DateTimeOffset now, CancellationToken ct)
    {
        if (conversationId is null)
        {
            var created = new Conversation { Id = Ids.New(), OwnerId = userId, AgentId = agent.Id, Title = ConversationTitles.From(text), CreatedAt = now, UpdatedAt = now };
            db.Conversations.Add(created);
            return (created, []);
        }

        var conversation = await db.Conversations.SingleOrDefaultAsync(c => c.Id == conversationId && c.OwnerId == userId, ct)
            ?? throw new StreamStartException(StreamStartFailure.ConversationNotFound, $"Conversation with ID {conversationId} not found");
        if (conversation.AgentId != agent.Id)
        {
            throw StreamStartException.Invalid("agentId", "A conversation keeps the agent it started with; send to that agent or start a new conversation.");
        }

        conversation.UpdatedAt = now;
        var history = await db.Messages.AsNoTracking().Where(m => m.ConversationId == conversationId).OrderBy(m => m.Position).ToListAsync(ct);
        return (conversation, history);
    }

    private Turn Record(
        CommandCenterDbContext db, string userId, Agent agent, ModelPrice price, Conversation conversation, int position,
        string text, ConversationHistory.Prompt prompt, DateTimeOffset now, long startTimestamp)
    {
        var trace = new TaskTrace
        {
            Id = Ids.New(), OwnerId = userId, MasterAgentId = agent.Id, ConversationId = conversation.Id, Instruction = text,
            InstanceKey = instance.Key, StartedAt = now, CreatedAt = now,
        };
        var session = new TraceSession
        {
            Id = Ids.New(), TaskTraceId = trace.Id, AgentId = agent.Id, Instruction = text, ModelUsed = agent.Model,
            ModelPriceId = price.Id, InputPricePerMTok = price.InputPerMTok, OutputPricePerMTok = price.OutputPerMTok,
            HistoryMessagesSent = prompt.HistoryMessagesSent, HistoryMessagesTrimmed = prompt.HistoryMessagesTrimmed,
            StartedAt = now, CreatedAt = now,
        };
        trace.Sessions.Add(session);
        var question = new Message
        {
            Id = Ids.New(), ConversationId = conversation.Id, Position = position, Role = MessageRole.User, Content = text,
            TaskTraceId = trace.Id, CreatedAt = now, CompletedAt = now,
        };
        var reply = new Message
        {
            Id = Ids.New(), ConversationId = conversation.Id, Position = position + 1, Role = MessageRole.Assistant,
            Status = MessageStatus.Streaming, TaskTraceId = trace.Id, CreatedAt = now,
        };
        db.AddRange(trace, question, reply);
        return new Turn(trace, session, reply, price, startTimestamp);
    }

    internal long Now() => clock.GetTimestamp();

    internal string DescribeStreamFailure(Turn turn, Exception e)
    {
        LogStreamBroken(logger, turn.Trace.Id, e.GetType().Name);
        return e switch
        {
            JsonException => "Anthropic sent an event that could not be read.",
            IOException or HttpRequestException => "The connection to Anthropic was lost before the reply was complete.",
            OperationCanceledException => "Anthropic stopped sending before the reply was complete.",
            _ => "The reply failed unexpectedly.",
        };
    }

    /// <summary>Writes the end of a turn — trace, session and reply — in one round trip; the first caller wins.</summary>
    internal async Task<CostEvent> SettleAsync(Turn turn, TurnOutcome outcome, string? error)
    {
        var cost = CostCalculator.Compute(turn.Usage, turn.Price);
        var costEvent = new CostEvent(
            turn.Usage.InputTokens, turn.Usage.OutputTokens, turn.Usage.CacheWriteTokens, turn.Usage.CacheReadTokens,
            cost.TotalCost, cost.CacheSavings, turn.Session.ModelUsed, turn.StopReason);
        if (!turn.TryBeginSettle())
        {
            return costEvent;
        }

        var end = clock.GetTimestamp();
        var now = clock.GetUtcNow();
        using var timeout = new CancellationTokenSource(SettleTimeout);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(timeout.Token);
            // Attached as they were inserted; every change below is then written as an update.
            db.AttachRange(turn.Trace, turn.Reply);

            var (traceStatus, sessionStatus, replyStatus) = outcome switch
            {
                TurnOutcome.Completed => (TraceStatus.Completed, SessionStatus.Success, MessageStatus.Complete),
                TurnOutcome.Failed => (TraceStatus.Failed, SessionStatus.Failed, MessageStatus.Failed),
                _ => (TraceStatus.Cancelled, SessionStatus.Cancelled, MessageStatus.Stopped),
            };
            turn.Trace.Status = traceStatus;
            turn.Trace.TotalCost = cost.TotalCost;
            turn.Trace.TotalTokens = turn.Usage.TotalTokens;
            turn.Trace.CompletedAt = now;

            var session = turn.Session;
            session.Status = sessionStatus;
            session.Cost = cost.TotalCost;
            session.TokensIn = turn.Usage.InputTokens;
            session.TokensOut = turn.Usage.OutputTokens;
            session.CacheWriteTokens = turn.Usage.CacheWrite5mTokens;
            session.CacheWrite1hTokens = turn.Usage.CacheWrite1hTokens;
            session.CacheReadTokens = turn.Usage.CacheReadTokens;
            session.StopReason = turn.StopReason;
            session.UpstreamStatus = turn.UpstreamStatus;
            session.UpstreamRequestId = turn.UpstreamRequestId;
            session.UpstreamMessageId = turn.UpstreamMessageId;
            session.Error = error;
            session.DurationMs = (int)clock.GetElapsedTime(turn.StartTimestamp, end).TotalMilliseconds;
            session.TimeToFirstTokenMs = turn.FirstTokenTimestamp is { } first ? (int)clock.GetElapsedTime(turn.StartTimestamp, first).TotalMilliseconds : null;
            session.CompletedAt = now;

            var reply = turn.Reply;
            reply.Content = turn.Text.ToString();
            reply.Status = replyStatus;
            reply.InputTokens = turn.Usage.InputTokens;
            reply.OutputTokens = turn.Usage.OutputTokens;
            reply.CacheWriteTokens = turn.Usage.CacheWriteTokens;
            reply.CacheReadTokens = turn.Usage.CacheReadTokens;
            reply.Cost = cost.TotalCost;
            reply.StopReason = turn.StopReason;
            reply.Error = error;
            reply.CompletedAt = now;

            try
            {
                await db.SaveChangesAsync(timeout.Token);
            }
            catch (DbUpdateConcurrencyException) when (db.Entry(turn.Reply).State == EntityState.Modified)
            {
                // The conversation was deleted mid-reply: its messages are gone, the trace and its cost must still be recorded.
                db.Entry(turn.Reply).State = EntityState.Detached;
                await db.SaveChangesAsync(timeout.Token);
            }

            LogSettled(logger, turn.Trace.Id, turn.Trace.Status, turn.Usage.InputTokens, turn.Usage.OutputTokens, cost.TotalCost, session.DurationMs.Value);
        }
        catch (Exception e)
        {
            // The rows stay 'running' until the stale-trace reaper of the next start marks them failed.
            LogSettleFailed(logger, e, turn.Trace.Id);
        }

        return costEvent;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Trace {TraceId}: agent {AgentId} on {Model}, {HistoryMessages} history messages")]
    private static partial void LogStarted(ILogger logger, string traceId, string agentId, string model, int historyMessages);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trace {TraceId}: Anthropic refused the call with {StatusCode} ({ErrorType})")]
    private static partial void LogUpstreamRefused(ILogger logger, string traceId, int statusCode, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trace {TraceId}: the upstream stream broke ({ExceptionType})")]
    private static partial void LogStreamBroken(ILogger logger, string traceId, string exceptionType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Trace {TraceId} {Status}: {InputTokens} in, {OutputTokens} out, ${Cost}, {DurationMs} ms")]
    private static partial void LogSettled(ILogger logger, string traceId, string status, int inputTokens, int outputTokens, decimal cost, int durationMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Trace {TraceId}: could not record the end of the message")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception, string traceId);
}
