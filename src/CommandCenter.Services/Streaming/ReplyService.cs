using System.Security.Cryptography;
using CommandCenter.Services.Agents;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.AnthropicKeys;
using CommandCenter.Services.Budgets;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Data;
using CommandCenter.Services.Files;
using CommandCenter.Services.IntegrationKeys;
using CommandCenter.Services.Models;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Telemetry;
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
    AnthropicKeyVault keys,
    AgentCatalog agents,
    ModelCatalog models,
    PriceBook prices,
    BudgetBook budgets,
    AnthropicClient anthropic,
    FileStore files,
    AttachmentSender attachmentSender,
    ReplyRecorder recorder,
    LiveReplies live,
    ReplyLimits limits,
    InstanceLease instance,
    IOptions<StreamingOptions> streaming,
    IOptions<AnthropicOptions> anthropicOptions,
    TimeProvider clock,
    ILogger<ReplyService> logger,
    ILogger<LiveReply> replyLogger)
{
    /// <param name="viaKey">The integration key the message came with, if any: its budget and rate limit apply, and its trace names it.</param>
    public async Task<LiveReply> StartAsync(string userId, SendMessageRequest request, IntegrationKeyIdentity? viaKey = null, CancellationToken ct = default)
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
            return await StartReservedAsync(userId, request, viaKey, reservation, ct);
        }
        catch
        {
            reservation.Dispose();
            throw;
        }
    }

    private async Task<LiveReply> StartReservedAsync(string userId, SendMessageRequest request, IntegrationKeyIdentity? viaKey, Reservation reservation, CancellationToken ct)
    {
        var startTimestamp = clock.GetTimestamp();
        ReplyPlan plan;
        try
        {
            // Nothing is written until the budget claim (the plan's last step), which is one transaction: a busy database is waited for.
            plan = await DatabaseFailures.WaitWhileBusyAsync(
                () => PlanAsync(userId, request, viaKey?.Id, clock.GetUtcNow(), ct), DatabaseFailures.BusyWait, clock, e => LogWaitingForDatabase(logger, DatabaseFailures.Describe(e)), ct);
        }
        catch (BudgetExceededException e)
        {
            throw StreamStartException.BudgetExceeded(e);
        }
        catch (Exception e) when (DatabaseFailures.IsTransient(e) && !ct.IsCancellationRequested)
        {
            LogDatabaseUnavailable(logger, DatabaseFailures.Describe(e));
            throw new StreamStartException(StreamStartFailure.Unavailable, "The database is unavailable; try again in a moment.");
        }

        // Current while the call is opened, so that the outgoing request is its child; it ends with the reply.
        var activity = ReplyTelemetry.Start(plan.Rows, plan.Request.MaxTokens);
        try
        {
            return await OpenAsync(userId, viaKey, plan, reservation, startTimestamp, activity);
        }
        catch (Exception e)
        {
            ReplyTelemetry.Refused(activity, e);
            // Never started, so never settled: give the reservation back (a refusal Anthropic sent has settled it already).
            await recorder.ReleaseChargesAsync(plan.Rows);
            throw;
        }
    }

    /// <summary>Opens the Anthropic call and, once it has begun, hands the reply to the registry, which runs it.</summary>
    private async Task<LiveReply> OpenAsync(
        string userId, IntegrationKeyIdentity? viaKey, ReplyPlan plan, Reservation reservation, long startTimestamp, System.Diagnostics.Activity? activity)
    {
        // Counted only now, so that refusals (no key, unknown agent, a budget, the database away) do not use up the allowance.
        limits.TakeMessage(userId, viaKey);
        var rows = plan.Rows;
        LogStarted(logger, rows.Trace.Id, rows.Trace.MasterAgentId, rows.Session.ModelUsed, rows.Session.HistoryMessagesSent);
        var calls = new ReplyUpstream(anthropic, plan.AnthropicKey, plan.Request, anthropicOptions.Value.MaxContinuations, replyLogger);
        AnthropicStream upstream;
        MessageStarted started;
        try
        {
            upstream = await calls.OpenAsync(CancellationToken.None);
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

        // The reply outlives this request or circuit: nothing of their context (scopes, activities) flows into it.
        using (ExecutionContext.SuppressFlow())
        {
            var meta = new MetaEvent(rows.Conversation!.Id, rows.Trace.Id, rows.Reply!.Id, rows.Session.HistoryMessagesTrimmed) { QuestionId = rows.Question!.Id };
            var reply = new LiveReply(plan, meta, calls, upstream, started, startTimestamp, reservation, recorder, clock, streaming.Value.UnwatchedGrace, replyLogger)
            {
                Activity = activity,
            };
            live.Run(reply);
            return reply;
        }
    }

    /// <summary>
    /// A new reply to the last question of one of the caller's conversations, in the place of <paramref name="replyId"/>
    /// (a reply to it, which stays a sibling). The history sent upstream is the same as the first time.
    /// </summary>
    /// <exception cref="StreamStartException">No such message of the caller's, or any refusal of <see cref="StartAsync"/>.</exception>
    /// <exception cref="InvalidInputException"><paramref name="replyId"/> is a question's id.</exception>
    public Task<LiveReply> RegenerateAsync(string userId, string replyId, IntegrationKeyIdentity? viaKey = null, CancellationToken ct = default) =>
        StartAgainAsync(userId, replyId, edit: false, null, viaKey, ct);

    /// <summary>
    /// The last question of one of the caller's conversations (<paramref name="questionId"/>) sent again as
    /// <paramref name="editedMessage"/>, with the same history; the question it edits stays a version to choose back.
    /// </summary>
    /// <exception cref="StreamStartException">No such message of the caller's, or any refusal of <see cref="StartAsync"/>.</exception>
    /// <exception cref="InvalidInputException"><paramref name="questionId"/> is a reply's id, or the edit is not valid.</exception>
    public Task<LiveReply> EditAsync(string userId, string questionId, string? editedMessage, IntegrationKeyIdentity? viaKey = null, CancellationToken ct = default) =>
        StartAgainAsync(userId, questionId, edit: true, editedMessage, viaKey, ct);

    private async Task<LiveReply> StartAgainAsync(
        string userId, string messageId, bool edit, string? editedMessage, IntegrationKeyIdentity? viaKey, CancellationToken ct)
    {
        string conversationId, agentId;
        string? text;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var found = await db.Messages.AsNoTracking()
                .Where(m => m.Id == messageId)
                .Join(db.Conversations.Where(c => c.OwnerId == userId), m => m.ConversationId, c => c.Id, (m, c) => new
                {
                    m.ConversationId,
                    c.AgentId,
                    // A reply is made again to its question, as stored.
                    Question = m.Role == MessageRole.Assistant
                        ? db.Messages.Where(q => q.ConversationId == m.ConversationId && (q.Id == m.ReplyToId || (m.ReplyToId == null && q.Position == m.Position - 1)))
                            .Select(q => q.Content).FirstOrDefault()
                        : null,
                    IsReply = m.Role == MessageRole.Assistant,
                })
                .SingleOrDefaultAsync(ct)
                ?? throw new StreamStartException(StreamStartFailure.ConversationNotFound, $"Message with ID {messageId} not found");

            // Refused before anything is written: taking the other kind of id would silently do the other action.
            if (edit && found.IsReply)
            {
                throw InvalidInputException.For("messageId", "Edit takes a question's id; to write a new reply, regenerate takes the reply's id.");
            }

            if (!edit && !found.IsReply)
            {
                throw InvalidInputException.For("messageId", "Regenerate takes a reply's id; to change a question, edit takes the question's id.");
            }

            (conversationId, agentId, text) = (found.ConversationId, found.AgentId, edit ? editedMessage : found.Question);
        }

        return await StartAsync(userId, new SendMessageRequest(agentId, conversationId, text) { Replaces = messageId }, viaKey, ct);
    }

    private async Task<ReplyPlan> PlanAsync(string userId, SendMessageRequest request, string? apiKeyId, DateTimeOffset now, CancellationToken ct)
    {
        var text = request.Message!;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (active, apiKey, keyVersion) = await RevealKeyAsync(db, userId, now, ct);
        if (!active)
        {
            throw new StreamStartException(StreamStartFailure.AccountDisabled, "This account is disabled.");
        }

        if (apiKey is null)
        {
            throw new StreamStartException(StreamStartFailure.NoAnthropicKey, "No Anthropic API key configured");
        }

        var agent = await agents.FindForReplyAsync(db, request.AgentId!, ct)
            ?? throw new StreamStartException(StreamStartFailure.AgentNotFound, $"Agent with ID {request.AgentId} not found");
        if (!agent.IsActive)
        {
            throw new StreamStartException(StreamStartFailure.AgentInactive, $"Agent {agent.Name} is not active");
        }

        // A retired model is refused before anything is written: Anthropic would only answer 404.
        var model = await models.FindAsync(db, agent.Model, ct);
        if (model is not null && model.StatusAt(now) == ModelStatus.Retired)
        {
            throw new StreamStartException(StreamStartFailure.ModelRetired,
                $"Model {agent.Model} ({model.DisplayName}) was retired{(model.RetiresAt is { } retired ? $" on {retired:yyyy-MM-dd}" : "")}: Anthropic no longer answers for it."
                + (model.Replacement is { } replacement ? $" An admin can move agent {agent.Name} to {replacement}." : $" An admin can move agent {agent.Name} to a current model."))
            {
                Model = agent.Model,
                Replacement = model.Replacement,
            };
        }

        var price = await prices.FindCurrentAsync(db, agent.Model, ct)
            ?? throw InvalidInputException.For("agentId", $"Model {agent.Model} has no price; an admin must add one before agent {agent.Name} can be used.");

        var (conversation, history) = await LoadConversationAsync(db, userId, agent, request.ConversationId, text, now, ct);
        var lastTurn = request.Replaces is { } replaces ? LastTurn.Of(history, replaces, text) : null;
        // A message made again keeps its question's files.
        var attachments = lastTurn?.Attachments ?? await files.AttachmentsAsync(db, userId, request.Attachments, ct);
        var (prompt, sent) = await PromptAsync(db, userId, apiKey, keyVersion, agent, lastTurn?.Before ?? history, lastTurn?.Text ?? text, attachments,
            model?.ContextWindow ?? price.ContextWindow, ct);

        var webSearch = await prices.FindToolPriceAsync(db, ToolPrice.WebSearch, ct);
        var worstCase = BudgetBook.WorstCase(prompt.Characters, agent.MaxTokens, price,
            agent.WebSearch is { Enabled: true } search ? search.MaxUses ?? BudgetBook.SearchesReservedWithoutALimit : 0, webSearch?.PerThousandRequests ?? 0m);
        // Before Anthropic is called: concurrent replies must not be able to overshoot a budget between them. Claimed for
        // the trace's id before the rows exist, so that the rows are made with their charges and only the recorder changes them.
        var traceId = Ids.New();
        var charges = await budgets.ReserveAsync(traceId, userId, agent.Id, apiKeyId, worstCase, now, ct);
        var rows = ReplyRows.Create(userId, agent, price, conversation, isNewConversation: request.ConversationId is null, history.Count, lastTurn?.Text ?? text, prompt,
            instance.Key, now, apiKeyId, webSearch?.PerThousandRequests ?? 0m, lastTurn, traceId, charges,
            attachments, [.. attachments.Select(a => new TracedAttachment(a.Id, a.Name, a.MediaType, a.Bytes, sent.HowSent(a.Id)))]);
        var wire = WireRequest.For(agent, model?.Capabilities, prompt.System, prompt.Messages, anthropicOptions.Value);
        return new ReplyPlan(apiKey, sent.Beta is null ? wire : wire with { Beta = wire.Beta is null ? sent.Beta : $"{wire.Beta},{sent.Beta}" }, rows);
    }

    /// <summary>
    /// What the message sends: as much history as fits the window, and the files of the turns kept, uploaded or inline.
    /// Files are only estimated, so a prompt near the window is counted exactly (free) and older turns left out if it must.
    /// </summary>
    private async Task<(ConversationHistory.Prompt, SentAttachments)> PromptAsync(
        CommandCenterDbContext db, string userId, string apiKey, DateTimeOffset keyVersion, Agent agent, IReadOnlyList<Message> history, string text,
        IReadOnlyList<Attachment> attachments, int contextWindow, CancellationToken ct)
    {
        var tooBig = () => InvalidInputException.For("message", $"The message does not fit the context window of {agent.Model}.");
        var chosen = ConversationHistory.Build(agent.SystemPrompt, history, text, contextWindow, agent.MaxTokens, attachments) ?? throw tooBig();
        var sent = await attachmentSender.PrepareAsync(db, userId, apiKey, keyVersion, chosen.Attachments, ct);
        var prompt = ConversationHistory.Build(agent.SystemPrompt, history, text, contextWindow, agent.MaxTokens, attachments, sent)!;
        if (prompt.Attachments.Count == 0 || prompt.EstimatedTokens < prompt.TokenLimit * NearTheWindow)
        {
            return (prompt, sent);
        }

        int counted;
        try
        {
            counted = await anthropic.CountTokensAsync(apiKey, new WireCountRequest(agent.Model, prompt.System, prompt.Messages) { Beta = sent.Beta }, ct);
        }
        catch (AnthropicApiException e)
        {
            LogPromptNotCounted(logger, e.StatusCode, e.ErrorType);
            return (prompt, sent);
        }

        if (counted <= prompt.TokenLimit)
        {
            return (prompt, sent);
        }

        // The estimate fell short: fill as much less of the window as it was short by, with a margin.
        var share = (double)prompt.TokenLimit / counted * 0.95;
        return (ConversationHistory.Build(agent.SystemPrompt, history, text, contextWindow, agent.MaxTokens, attachments, sent, share) ?? throw tooBig(), sent);
    }

    /// <summary>The share of the window past which a prompt with files is counted exactly rather than estimated.</summary>
    private const double NearTheWindow = 0.6;

    private async Task<(bool Active, string? Key, DateTimeOffset KeyVersion)> RevealKeyAsync(CommandCenterDbContext db, string userId, DateTimeOffset now, CancellationToken ct)
    {
        try
        {
            return await keys.RevealAsync(db, userId, now, ct);
        }
        catch (CryptographicException)
        {
            // The Data Protection key ring that encrypted it is gone: the user must enter the key again.
            throw new StreamStartException(StreamStartFailure.NoAnthropicKey, "No Anthropic API key configured: the stored key can no longer be decrypted; set it again.");
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
        var error = ReplyRecorder.RefusalError(rows.Session.ModelUsed, e);
        var recorded = await recorder.RecordRefusalAsync(rows, e, error);
        return new StreamStartException(StreamStartFailure.Upstream, error)
        {
            RetryAfter = e.RetryAfter,
            UpstreamStatus = e.StatusCode,
            UpstreamErrorType = e.ErrorType,
            TraceId = rows.Trace.Id,
            StoredReply = recorded && rows.Conversation is { } conversation ? (conversation.Id, rows.Reply!.Id) : null,
        };
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Trace {TraceId}: agent {AgentId} on {Model}, {HistoryMessages} history messages")]
    private static partial void LogStarted(ILogger logger, string traceId, string agentId, string model, int historyMessages);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A prompt near the context window could not be counted ({Status} {ErrorType}); it is sent as estimated")]
    private static partial void LogPromptNotCounted(ILogger logger, int status, string errorType);

    [LoggerMessage(Level = LogLevel.Information, Message = "A message waits its turn for the database ({Failure})")]
    private static partial void LogWaitingForDatabase(ILogger logger, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message was refused: the database is unavailable ({Failure})")]
    private static partial void LogDatabaseUnavailable(ILogger logger, string failure);
}
