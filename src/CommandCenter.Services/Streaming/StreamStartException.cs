namespace CommandCenter.Services.Streaming;

public enum StreamStartFailure
{
    NoAnthropicKey,
    AgentNotFound,
    AgentInactive,
    ConversationNotFound,
    ConversationBusy,
    Upstream,
    /// <summary>The database is out of reach or the server is shutting down; nothing was sent to Anthropic.</summary>
    Unavailable,
    /// <summary>Over the per-user message rate or the cap on live replies; see <see cref="StreamStartException.RetryAfter"/>.</summary>
    RateLimited,
    AccountDisabled,
    /// <summary>A monthly budget cannot cover the request's worst case; see <see cref="StreamStartException.Budget"/>.</summary>
    BudgetExceeded,
    /// <summary>The agent's model is retired: Anthropic would refuse it. See <see cref="StreamStartException.Replacement"/>.</summary>
    ModelRetired,
}

/// <summary>
/// A message refused before its first event; nothing was streamed. The API maps <see cref="Failure"/> to a status code.
/// Bad input is refused with <see cref="Validation.InvalidInputException"/> instead, as everywhere.
/// </summary>
public sealed class StreamStartException(StreamStartFailure failure, string message) : Exception(message)
{
    public StreamStartFailure Failure { get; } = failure;

    /// <summary>For <see cref="StreamStartFailure.Upstream"/>: Anthropic's status code and error type.</summary>
    public int? UpstreamStatus { get; init; }
    public string? UpstreamErrorType { get; init; }

    /// <summary>For <see cref="StreamStartFailure.RateLimited"/> and <see cref="StreamStartFailure.Unavailable"/>: when to try again.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>For <see cref="StreamStartFailure.BudgetExceeded"/>: the budget that refused, and by how much.</summary>
    public Budgets.BudgetShortfall? Budget { get; init; }

    /// <summary>For <see cref="StreamStartFailure.ModelRetired"/>: the retired model and the one Anthropic recommends instead.</summary>
    public string? Model { get; init; }
    public string? Replacement { get; init; }

    /// <summary>The trace that records the refused call, when one was written.</summary>
    public string? TraceId { get; init; }

    /// <summary>The failed reply stored for the refused call, and its conversation, when they were written: the reply can be retried.</summary>
    public (string ConversationId, string MessageId)? StoredReply { get; init; }

    /// <summary>A budget cannot cover the request (see <see cref="Budget"/>).</summary>
    public static StreamStartException BudgetExceeded(Budgets.BudgetExceededException e) =>
        new(StreamStartFailure.BudgetExceeded, e.Message) { Budget = e.Shortfall };

    /// <summary>A reply to the conversation is being written (here, on another instance, or in another tab).</summary>
    public static StreamStartException ConversationBusy() =>
        new(StreamStartFailure.ConversationBusy, "This conversation is already answering another message; wait for it to finish.");
}
