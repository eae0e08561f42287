using System.Security.Cryptography;
using CommandCenter.Services.Agents;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.ApiKeys;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Data;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Traces;
using CommandCenter.Services.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommandCenter.Services.Streaming;

/// <summary>
/// Starts replies, for the Command Center page and the SSE API alike: validate; read the caller's key, the agent, its
/// price and the conversation; open one Anthropic call; once Anthropic has begun the reply, record its start and hand
/// it to <see cref="LiveReplies"/>, which runs it whoever watches. Refusals before that throw
/// <see cref="StreamStartException"/>. Once the call is open the server owns it: the caller leaving no longer cancels it.
/// </summary>
public sealed partial class ReplyService(
    IDbContextFactory<CommandCenterDbContext> dbFactory,
    ApiKeyVault keys,
    AgentCatalog agents,
    PriceBook prices,
    AnthropicClient anthropic,
    ReplyRecorder recorder,
    LiveReplies live,
    ReplyLimits limits,
    InstanceLease instance,
    IOptions<StreamingOptions> streaming,
    TimeProvider clock,
    ILogger<ReplyService> logger,
    ILogger<LiveReply> replyLogger)
{
    // The caller is waiting for the refusal; the database gets this long to record it.
    private static readonly TimeSpan RefusalWriteTimeout = TimeSpan.FromSeconds(10);

    public async Task<LiveReply> StartAsync(string userId, SendMessageRequest request, CancellationToken ct = default)
    {
        InvalidInputException.ThrowIfInvalid(request);

        if (live.IsDraining)
        {
            throw new StreamStartException(StreamStartFailure.Unavailable, "The server is shutting down; try again in a moment.");
        }

        // Claimed before Anthropic is called, so that two tabs sending at once, or a burst, cannot overshoot.
        var reservation = live.Reserve(userId, request.ConversationId, limits.MaxLiveRepliesPerUser);
        try
        {
            return await StartReservedAsync(userId, request, reservation, ct);
        }
        catch
        {
            live.Release(reservation);
            throw;
        }
    }

    private async Task<LiveReply> StartReservedAsync(string userId, SendMessageRequest request, Reservation reservation, CancellationToken ct)
    {
        var startTimestamp = clock.GetTimestamp();
        Plan plan;
        try
        {
            plan = await PlanAsync(userId, request, clock.GetUtcNow(), ct);
        }
        catch (Exception e) when (DatabaseFailures.IsTransient(e) && !ct.IsCancellationRequested)
        {
            LogDatabaseUnavailable(logger, DatabaseFailures.Describe(e));
            throw new StreamStartException(StreamStartFailure.Unavailable, "The database is unavailable; try again in a moment.");
        }

        // Counted only now, so that refusals (no key, unknown agent, the database away) do not use up the allowance.
        limits.TakeMessage(userId);
        var rows = plan.Rows;
        LogStarted(logger, rows.Trace.Id, rows.Trace.MasterAgentId, rows.Session.ModelUsed, rows.Session.HistoryMessagesSent);
        AnthropicStream upstream;
        MessageStarted started;
        try
        {
            upstream = await anthropic.OpenStreamAsync(plan.ApiKey, plan.Request, CancellationToken.None);
        }
        catch (AnthropicApiException e)
        {
            throw await RecordRefusalAsync(rows, e);
        }

        try
        {
            started = await upstream.ReadStartAsync();
        }
        catch (AnthropicApiException e)
        {
            await upstream.DisposeAsync();
            throw await RecordRefusalAsync(rows, e);
        }

        // The reply runs at once; its start is written meanwhile, and its end is recorded only after the start has landed.
        // (On the thread pool: EF's change tracking and command building would otherwise run here, before the caller hears anything.)
        var running = new ReplySnapshot(ReplyOutcome.Running, default(TokenUsage).Apply(started.Usage))
        {
            UpstreamRequestId = upstream.RequestId,
            UpstreamMessageId = started.MessageId,
        };
        // The reply outlives this request or circuit: nothing of their context (scopes, activities) flows into it.
        using (ExecutionContext.SuppressFlow())
        {
            var startWrite = Task.Run(() => recorder.RecordStartAsync(rows, running, live.RecordingAbandoned));
            var meta = new MetaEvent(rows.Conversation.Id, rows.Trace.Id, rows.Reply.Id, rows.Session.HistoryMessagesTrimmed);
            var reply = new LiveReply(rows, meta, upstream, started, startWrite, recorder, clock, streaming.Value.UnwatchedGrace, startTimestamp, replyLogger);
            live.Run(reply, reservation);
            return reply;
        }
    }

    /// <summary>The call to make and the rows it will write, from the caller's key, the agent, its price and the conversation.</summary>
    /// <remarks>A class, not a record: a record's generated ToString would print the key.</remarks>
    private sealed class Plan(string apiKey, WireRequest request, ReplyRows rows)
    {
        public string ApiKey { get; } = apiKey;
        public WireRequest Request { get; } = request;
        public ReplyRows Rows { get; } = rows;
    }

    private async Task<Plan> PlanAsync(string userId, SendMessageRequest request, DateTimeOffset now, CancellationToken ct)
    {
        var text = request.Message!;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (active, apiKey) = await RevealKeyAsync(db, userId, now, ct);
        if (!active)
        {
            throw new StreamStartException(StreamStartFailure.AccountDisabled, "This account is disabled.");
        }

        if (apiKey is null)
        {
            throw new StreamStartException(StreamStartFailure.NoApiKey, "No Anthropic API key configured");
        }

        var agent = await agents.FindForReplyAsync(db, request.AgentId!, ct)
            ?? throw new StreamStartException(StreamStartFailure.AgentNotFound, $"Agent with ID {request.AgentId} not found");
        if (!agent.IsActive)
        {
            throw new StreamStartException(StreamStartFailure.AgentInactive, $"Agent {agent.Name} is not active");
        }

        var price = await prices.FindCurrentAsync(db, agent.Model, ct)
            ?? throw InvalidInputException.For("agentId", $"Model {agent.Model} has no price; an admin must add one before agent {agent.Name} can be used.");

        var (conversation, history) = await LoadConversationAsync(db, userId, agent, request.ConversationId, text, now, ct);
        var prompt = ConversationHistory.Build(agent.SystemPrompt, history, text, price.ContextWindow, agent.MaxTokens)
            ?? throw InvalidInputException.For("message", $"The message does not fit the context window of {agent.Model}.");

        var rows = ReplyRows.Create(userId, agent, price, conversation, isNewConversation: request.ConversationId is null, history.Count, text, prompt, instance.Key, now);
        return new Plan(apiKey, new WireRequest(agent.Model, agent.MaxTokens, prompt.System, prompt.Messages), rows);
    }

    private async Task<(bool Active, string? Key)> RevealKeyAsync(CommandCenterDbContext db, string userId, DateTimeOffset now, CancellationToken ct)
    {
        try
        {
            return await keys.RevealAsync(db, userId, now, ct);
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
            return (new Conversation { Id = Ids.New(), OwnerId = userId, AgentId = agent.Id, Title = ConversationTitles.From(text), CreatedAt = now, UpdatedAt = now }, []);
        }

        var conversation = await db.Conversations.AsNoTracking().SingleOrDefaultAsync(c => c.Id == conversationId && c.OwnerId == userId, ct)
            ?? throw new StreamStartException(StreamStartFailure.ConversationNotFound, $"Conversation with ID {conversationId} not found");
        if (conversation.AgentId != agent.Id)
        {
            throw InvalidInputException.For("agentId", "A conversation keeps the agent it started with; send to that agent or start a new conversation.");
        }

        conversation.UpdatedAt = now;
        var history = await db.Messages.AsNoTracking().Where(m => m.ConversationId == conversationId).OrderBy(m => m.Position).ToListAsync(ct);
        return (conversation, history);
    }

    /// <summary>Records a call Anthropic refused (its rows are written once, already failed) and says why.</summary>
    private async Task<StreamStartException> RecordRefusalAsync(ReplyRows rows, AnthropicApiException e)
    {
        LogUpstreamRefused(logger, rows.Trace.Id, e.StatusCode, e.ErrorType);
        var error = $"Anthropic API error {e.StatusCode} ({e.ErrorType}): {e.UpstreamMessage}";
        using var patience = new CancellationTokenSource(RefusalWriteTimeout);
        try
        {
            await recorder.RecordStartAsync(rows, new ReplySnapshot(ReplyOutcome.Failed, default)
            {
                Error = error,
                UpstreamStatus = e.StatusCode,
                UpstreamRequestId = e.RequestId,
            }, patience.Token);
        }
        catch (Exception unrecorded) when (unrecorded is OperationCanceledException or StreamStartException)
        {
            // The caller hears of the refusal either way; the log keeps what the trace could not.
            LogRefusalNotRecorded(logger, rows.Trace.Id, e.StatusCode);
        }

        return new StreamStartException(StreamStartFailure.Upstream, error)
        {
            UpstreamStatus = e.StatusCode,
            UpstreamErrorType = e.ErrorType,
            TraceId = rows.Trace.Id,
        };
    }

    internal static StreamStartException ConversationBusy() =>
        new(StreamStartFailure.ConversationBusy, "This conversation is already answering another message; wait for it to finish.");

    [LoggerMessage(Level = LogLevel.Debug, Message = "Trace {TraceId}: agent {AgentId} on {Model}, {HistoryMessages} history messages")]
    private static partial void LogStarted(ILogger logger, string traceId, string agentId, string model, int historyMessages);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trace {TraceId}: Anthropic refused the call with {StatusCode} ({ErrorType})")]
    private static partial void LogUpstreamRefused(ILogger logger, string traceId, int statusCode, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message was refused: the database is unavailable ({Failure})")]
    private static partial void LogDatabaseUnavailable(ILogger logger, string failure);

    [LoggerMessage(Level = LogLevel.Error, Message = "Trace {TraceId}: Anthropic refused the call with {StatusCode} and the refusal could not be recorded")]
    private static partial void LogRefusalNotRecorded(ILogger logger, string traceId, int statusCode);
}
