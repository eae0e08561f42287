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
/// The rows one reply writes — its conversation (new, or touched), the trace and its session, the operator's message
/// and the reply message — and the one mapping from a <see cref="ReplySnapshot"/> to their columns.
/// Only <see cref="ReplyRecorder"/> changes them.
/// </summary>
internal sealed class ReplyRows
{
    public required Conversation Conversation { get; init; }
    public required bool IsNewConversation { get; init; }
    public required TaskTrace Trace { get; init; }
    public required TraceSession Session { get; init; }
    public required Message Question { get; init; }
    public required Message Reply { get; init; }
    public required ModelPrice Price { get; init; }
    /// <summary>Dollars per 1,000 web searches when the reply started.</summary>
    public decimal WebSearchPerThousand { get; init; }

    /// <summary>What the reply reserved on budgets before Anthropic was called; its end settles them to its cost.</summary>
    public IReadOnlyList<BudgetCharge> Charges { get; set; } = [];

    /// <summary>The rows of a reply to <paramref name="text"/>, in memory; <paramref name="position"/> is the question's place in the conversation.</summary>
    public static ReplyRows Create(
        string userId, Agent agent, ModelPrice price, Conversation conversation, bool isNewConversation, int position,
        string text, ConversationHistory.Prompt prompt, long instanceKey, DateTimeOffset now, string? apiKeyId = null, decimal webSearchPerThousand = 0m)
    {
        var trace = new TaskTrace
        {
            Id = Ids.New(), OwnerId = userId, MasterAgentId = agent.Id, ConversationId = conversation.Id, Instruction = text,
            InstanceKey = instanceKey, StartedAt = now, CreatedAt = now,
        };
        var session = new TraceSession
        {
            Id = Ids.New(), TaskTraceId = trace.Id, OwnerId = userId, AgentId = agent.Id, ApiKeyId = apiKeyId, Instruction = text, ModelUsed = agent.Model,
            ModelPriceId = price.Id, InputPricePerMTok = price.InputPerMTok, OutputPricePerMTok = price.OutputPerMTok,
            HistoryMessagesSent = prompt.HistoryMessagesSent, HistoryMessagesTrimmed = prompt.HistoryMessagesTrimmed,
            WebSearchPerThousand = webSearchPerThousand, StartedAt = now, CreatedAt = now,
        };
        trace.Sessions.Add(session);
        return new ReplyRows
        {
            Conversation = conversation,
            IsNewConversation = isNewConversation,
            Trace = trace,
            Session = session,
            Question = new Message
            {
                Id = Ids.New(), ConversationId = conversation.Id, Position = position, Role = MessageRole.User, Content = text,
                TaskTraceId = trace.Id, CreatedAt = now, CompletedAt = now,
            },
            Reply = new Message
            {
                Id = Ids.New(), ConversationId = conversation.Id, Position = position + 1, Role = MessageRole.Assistant,
                Status = MessageStatus.Streaming, TaskTraceId = trace.Id, CreatedAt = now,
            },
            Price = price,
            WebSearchPerThousand = webSearchPerThousand,
        };
    }

    public CostBreakdown Apply(ReplySnapshot snapshot, DateTimeOffset now)
    {
        var usage = snapshot.Usage;
        var cost = CostCalculator.Compute(usage, Price, WebSearchPerThousand);
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

        Session.Status = sessionStatus;
        Session.Cost = cost.TotalCost;
        Session.TokensIn = usage.InputTokens;
        Session.TokensOut = usage.OutputTokens;
        Session.CacheWriteTokens = usage.CacheWrite5mTokens;
        Session.CacheWrite1hTokens = usage.CacheWrite1hTokens;
        Session.CacheReadTokens = usage.CacheReadTokens;
        Session.CostEstimated = snapshot.OutputEstimated;
        Session.WebSearchRequests = usage.WebSearchRequests;
        Session.ToolFees = cost.ToolFees;
        (Session.InputPricePerMTok, Session.OutputPricePerMTok) = Price.RatesFor(usage);
        Session.StopReason = snapshot.StopReason;
        Session.UpstreamStatus = snapshot.UpstreamStatus;
        Session.UpstreamRequestId = snapshot.UpstreamRequestId;
        Session.UpstreamMessageId = snapshot.UpstreamMessageId;
        Session.Error = Storable(snapshot.Error);
        Session.DurationMs = ended ? (int)snapshot.Duration.TotalMilliseconds : null;
        Session.TimeToFirstTokenMs = snapshot.TimeToFirstToken is { } first ? (int)first.TotalMilliseconds : null;
        Session.CompletedAt = ended ? now : null;

        Reply.Content = Storable(snapshot.Text);
        Reply.Activity = snapshot.Activity;
        Reply.Status = replyStatus;
        Reply.InputTokens = usage.InputTokens;
        Reply.OutputTokens = usage.OutputTokens;
        Reply.CacheWriteTokens = usage.CacheWriteTokens;
        Reply.CacheReadTokens = usage.CacheReadTokens;
        Reply.Cost = cost.TotalCost;
        Reply.CostEstimated = snapshot.OutputEstimated;
        Reply.StopReason = snapshot.StopReason;
        Reply.Error = Storable(snapshot.Error);
        Reply.CompletedAt = ended ? now : null;
        return cost;
    }

    /// <summary>PostgreSQL's text cannot hold NUL; a model (or an upstream error) that writes one must not make the row unwritable.</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    private static string? Storable(string? text) => text is not null && text.Contains('\0') ? text.Replace('\0', '\uFFFD') : text;
}
