using CommandCenter.Services.Agents;
using CommandCenter.Services.Budgets;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Data;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Traces;

namespace CommandCenter.Services.Streaming;

/// <summary>How a reply stands; each maps to one status of the trace, its session and the reply message.</summary>
internal enum ReplyOutcome
{
    Running,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>What is known of a reply at one moment: what its rows are written from, at the start and at the end.</summary>
internal sealed record ReplySnapshot(ReplyOutcome Outcome, TokenUsage Usage)
{
    public string Text { get; init; } = "";
    public Conversations.ReplyActivity? Activity { get; init; }
    public string? StopReason { get; init; }
    public string? Error { get; init; }
    public int? UpstreamStatus { get; init; }
    public string? UpstreamRequestId { get; init; }
    public string? UpstreamMessageId { get; init; }
    public TimeSpan? TimeToFirstToken { get; init; }
    public TimeSpan Duration { get; init; }
    /// <summary>The output tokens were counted by us (<see cref="OutputTokenCounter"/>), not reported by Anthropic.</summary>
    public bool OutputEstimated { get; init; }
}

/// <summary>
/// The rows one reply writes — its conversation (new, or touched), the trace and its sessions, the operator's message
/// and the reply message; a gateway call (<see cref="ForGateway"/>) writes only the trace and its session — and the one
/// mapping from a <see cref="ReplySnapshot"/> to their columns. Only <see cref="ReplyRecorder"/> changes them, through
/// <see cref="Apply"/> and <see cref="Continue"/>: whoever makes the rows sets everything else once, the budget charges
/// included.
/// </summary>
internal sealed class ReplyRows
{
    // What the trace's earlier sessions (calls Anthropic paused and the next one continued) used and cost.
    private TokenUsage _earlierUsage;
    private CostBreakdown _earlierCost;
    private TraceSession _session = null!;

    /// <summary>Null for a gateway call: it has no conversation, question or reply message.</summary>
    public Conversation? Conversation { get; init; }
    public bool IsNewConversation { get; init; }
    public required TaskTrace Trace { get; init; }
    /// <summary>The session of the call now running: the trace's last.</summary>
    public required TraceSession Session { get => _session; init => _session = value; }
    public Message? Question { get; init; }
    /// <summary>False when the reply regenerates an answer to a question already stored.</summary>
    public bool IsNewQuestion { get; init; } = true;
    /// <summary>The messages this reply's start marks superseded: a regenerated reply, or an edited question and its replies.</summary>
    public IReadOnlyList<Message> Replaced { get; init; } = [];
    public Message? Reply { get; init; }
    public required ModelPrice Price { get; init; }
    /// <summary>Dollars per 1,000 web searches when the reply started.</summary>
    public decimal WebSearchPerThousand { get; init; }

    /// <summary>What the reply reserved on budgets (for <see cref="Trace"/>'s id) before Anthropic was called; its end settles them to its cost.</summary>
    public IReadOnlyList<BudgetCharge> Charges { get; init; } = [];

    /// <summary>
    /// The rows of a reply to <paramref name="text"/>, in memory; <paramref name="position"/> is the next free place in the
    /// conversation. A reply made again to <paramref name="lastTurn"/> answers its stored question, or the edited one, and
    /// supersedes what it replaces. <paramref name="charges"/> are what was reserved on budgets for trace <paramref name="traceId"/>.
    /// </summary>
    public static ReplyRows Create(
        string userId, Agent agent, ModelPrice price, Conversation conversation, bool isNewConversation, int position,
        string text, ConversationHistory.Prompt prompt, long instanceKey, DateTimeOffset now, string? apiKeyId = null, decimal webSearchPerThousand = 0m,
        LastTurn? lastTurn = null, string? traceId = null, IReadOnlyList<BudgetCharge>? charges = null,
        IReadOnlyList<Files.Attachment>? attachments = null, IReadOnlyList<Files.TracedAttachment>? traced = null)
    {
        var trace = new TaskTrace
        {
            Id = traceId ?? Ids.New(), OwnerId = userId, MasterAgentId = agent.Id, ConversationId = conversation.Id, Instruction = text,
            InstanceKey = instanceKey, StartedAt = now, CreatedAt = now, Attachments = traced is { Count: > 0 } ? traced : null,
        };
        var session = NewSession(trace, agent.Id, agent.Model, apiKeyId, price, prompt.HistoryMessagesSent, prompt.HistoryMessagesTrimmed, webSearchPerThousand, now);
        trace.Sessions.Add(session);
        var question = lastTurn?.Question ?? new Message
        {
            Id = Ids.New(), ConversationId = conversation.Id, Position = position++, Role = MessageRole.User, Content = text,
            TaskTraceId = trace.Id, CreatedAt = now, CompletedAt = now, VersionOfId = lastTurn?.VersionOf,
            Attachments = attachments is { Count: > 0 } ? attachments : null,
        };
        return new ReplyRows
        {
            Conversation = conversation,
            IsNewConversation = isNewConversation,
            Trace = trace,
            Session = session,
            Question = question,
            IsNewQuestion = lastTurn?.Question is null,
            Replaced = lastTurn?.Replaced ?? [],
            Reply = new Message
            {
                Id = Ids.New(), ConversationId = conversation.Id, Position = position, Role = MessageRole.Assistant, ReplyToId = question.Id,
                Status = MessageStatus.Streaming, TaskTraceId = trace.Id, CreatedAt = now,
            },
            Price = price,
            WebSearchPerThousand = webSearchPerThousand,
            Charges = ChargesOf(trace, charges),
        };
    }

    /// <summary>
    /// The rows of a call that came through the Anthropic-compatible gateway: a trace and its session (type
    /// <c>gateway</c>), no conversation. <paramref name="agentId"/> is the agent it ran as, or <see cref="GatewayAgentId"/>;
    /// <paramref name="charges"/> are what was reserved on budgets for trace <paramref name="traceId"/>.
    /// </summary>
    public static ReplyRows ForGateway(
        string userId, string agentId, string model, ModelPrice price, string instruction, long instanceKey, DateTimeOffset now, string apiKeyId,
        decimal webSearchPerThousand, string? userAgent, string? traceId = null, IReadOnlyList<BudgetCharge>? charges = null)
    {
        var trace = new TaskTrace
        {
            Id = traceId ?? Ids.New(), OwnerId = userId, MasterAgentId = agentId, Instruction = instruction, InstanceKey = instanceKey, StartedAt = now, CreatedAt = now,
            UserAgent = userAgent,
        };
        var session = NewSession(trace, agentId, model, apiKeyId, price, 0, 0, webSearchPerThousand, now, GatewaySessionType);
        trace.Sessions.Add(session);
        return new ReplyRows { Trace = trace, Session = session, Price = price, WebSearchPerThousand = webSearchPerThousand, Charges = ChargesOf(trace, charges) };
    }

    /// <summary>Budget charges belong to the trace they were reserved for: settling another trace's would misstate two budgets.</summary>
    private static IReadOnlyList<BudgetCharge> ChargesOf(TaskTrace trace, IReadOnlyList<BudgetCharge>? charges)
    {
        charges ??= [];
        if (charges.FirstOrDefault(c => c.TraceId != trace.Id) is { } stray)
        {
            throw new ArgumentException($"A budget charge of trace {stray.TraceId} cannot be settled by trace {trace.Id}.", nameof(charges));
        }

        return charges;
    }

    /// <summary>The agent id of a gateway call that named a model rather than an agent.</summary>
    public const string GatewayAgentId = "gateway";

    /// <summary>What reports call the agent of <paramref name="agentId"/> when no agent has that id: the gateway's model-named calls have a name too.</summary>
    public static string? AgentNameOf(string agentId) => agentId == GatewayAgentId ? "Gateway (model named)" : null;

    /// <summary>The <c>sessionType</c> of a gateway call (a chat reply's is <c>command-center</c>).</summary>
    public const string GatewaySessionType = "gateway";

    /// <summary>Every session's usage together, as of the last <see cref="Apply"/>: what the reply and its trace record.</summary>
    public TokenUsage TotalUsage { get; private set; }

    /// <summary>
    /// Ends the current session as <paramref name="paused"/> has it (Anthropic paused the turn) and opens the session of
    /// the call that continues it. Returns the ended session; the new one is <see cref="Session"/>.
    /// </summary>
    public TraceSession Continue(ReplySnapshot paused, DateTimeOffset now)
    {
        // The trace and the reply go on running (and the budget reservations stay as they are): only the session ended.
        var cost = Apply(paused with { Outcome = ReplyOutcome.Running }, now);
        var ended = Session;
        ended.Status = SessionStatus.Success;
        ended.Continued = true;
        ended.DurationMs = (int)paused.Duration.TotalMilliseconds;
        ended.CompletedAt = now;
        _earlierUsage = TotalUsage;
        _earlierCost = cost;
        _session = NewSession(Trace, ended.AgentId, ended.ModelUsed, ended.IntegrationKeyId, Price, ended.HistoryMessagesSent, ended.HistoryMessagesTrimmed, WebSearchPerThousand, now, ended.SessionType);
        Trace.Sessions.Add(Session);
        return ended;
    }

    /// <summary>A call of <paramref name="trace"/>, running, at the price it starts with.</summary>
    private static TraceSession NewSession(
        TaskTrace trace, string agentId, string model, string? apiKeyId, ModelPrice price, int historySent, int historyTrimmed, decimal webSearchPerThousand, DateTimeOffset now,
        string sessionType = "command-center") => new()
    {
        SessionType = sessionType,
        Id = Ids.New(), TaskTraceId = trace.Id, OwnerId = trace.OwnerId, AgentId = agentId, IntegrationKeyId = apiKeyId, Instruction = trace.Instruction, ModelUsed = model,
        ModelPriceId = price.Id, InputPricePerMTok = price.InputPerMTok, CacheWrite5mPricePerMTok = price.CacheWrite5mPerMTok,
        CacheWrite1hPricePerMTok = price.CacheWrite1hPerMTok, CacheReadPricePerMTok = price.CacheReadPerMTok, OutputPricePerMTok = price.OutputPerMTok,
        HistoryMessagesSent = historySent, HistoryMessagesTrimmed = historyTrimmed, WebSearchPerThousand = webSearchPerThousand, StartedAt = now, CreatedAt = now,
    };

    /// <summary>Writes <paramref name="snapshot"/> (the current session's) into the rows; returns the whole reply's cost.</summary>
    public CostBreakdown Apply(ReplySnapshot snapshot, DateTimeOffset now)
    {
        var sessionCost = CostCalculator.Compute(snapshot.Usage, Price, WebSearchPerThousand);
        var usage = TotalUsage = _earlierUsage + snapshot.Usage;
        var cost = _earlierCost + sessionCost;
        var ended = snapshot.Outcome != ReplyOutcome.Running;
        var (traceStatus, sessionStatus, replyStatus) = snapshot.Outcome switch
        {
            ReplyOutcome.Running => (TraceStatus.Running, SessionStatus.Running, MessageStatus.Streaming),
            ReplyOutcome.Completed => (TraceStatus.Completed, SessionStatus.Success, MessageStatus.Complete),
            ReplyOutcome.Failed => (TraceStatus.Failed, SessionStatus.Failed, MessageStatus.Failed),
            _ => (TraceStatus.Cancelled, SessionStatus.Cancelled, MessageStatus.Stopped),
        };

        if (ended)
        {
            foreach (var charge in Charges)
            {
                charge.Amount = cost.TotalCost;
                charge.Settled = true;
            }
        }

        Trace.Status = traceStatus;
        Trace.TotalCost = cost.TotalCost;
        Trace.TotalTokens = usage.TotalTokens;
        Trace.CompletedAt = ended ? now : null;

        var own = snapshot.Usage;
        Session.Status = sessionStatus;
        Session.Cost = sessionCost.TotalCost;
        Session.TokensIn = own.InputTokens;
        Session.TokensOut = own.OutputTokens;
        Session.ThinkingTokens = own.ThinkingTokens;
        Session.CacheWriteTokens = own.CacheWrite5mTokens;
        Session.CacheWrite1hTokens = own.CacheWrite1hTokens;
        Session.CacheReadTokens = own.CacheReadTokens;
        Session.CostEstimated = snapshot.OutputEstimated;
        Session.WebSearchRequests = own.WebSearchRequests;
        Session.ToolFees = sessionCost.ToolFees;
        var rates = Price.RatesFor(own);
        (Session.InputPricePerMTok, Session.CacheWrite5mPricePerMTok, Session.CacheWrite1hPricePerMTok, Session.CacheReadPricePerMTok, Session.OutputPricePerMTok) =
            (rates.Input, rates.CacheWrite5m, rates.CacheWrite1h, rates.CacheRead, rates.Output);
        Session.PriceTierApplied = Price.TierAppliesTo(own);
        Session.StopReason = snapshot.StopReason;
        Session.UpstreamStatus = snapshot.UpstreamStatus;
        Session.UpstreamRequestId = snapshot.UpstreamRequestId;
        Session.UpstreamMessageId = snapshot.UpstreamMessageId;
        Session.Error = Storable(snapshot.Error);
        Session.DurationMs = ended ? (int)snapshot.Duration.TotalMilliseconds : null;
        Session.TimeToFirstTokenMs = snapshot.TimeToFirstToken is { } first ? (int)first.TotalMilliseconds : null;
        Session.CompletedAt = ended ? now : null;

        if (Reply is { } reply)
        {
            reply.Content = Storable(snapshot.Text);
            reply.Activity = snapshot.Activity;
            reply.Status = replyStatus;
            reply.InputTokens = usage.InputTokens;
            reply.OutputTokens = usage.OutputTokens;
            reply.CacheWriteTokens = usage.CacheWriteTokens;
            reply.CacheReadTokens = usage.CacheReadTokens;
            reply.Cost = cost.TotalCost;
            reply.CostEstimated = snapshot.OutputEstimated;
            reply.StopReason = snapshot.StopReason;
            reply.Error = Storable(snapshot.Error);
            reply.CompletedAt = ended ? now : null;
        }

        return cost;
    }

    /// <summary>PostgreSQL's text cannot hold NUL; a model (or an upstream error) that writes one must not make the row unwritable.</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    private static string? Storable(string? text) => text is not null && text.Contains('\0') ? text.Replace('\0', '\uFFFD') : text;
}
