namespace CommandCenter.Services.Streaming;

public enum StreamStartFailure
{
    Invalid,
    NoApiKey,
    AgentNotFound,
    AgentInactive,
    ConversationNotFound,
    ConversationBusy,
    Upstream,
    /// <summary>The database is out of reach; nothing was sent to Anthropic.</summary>
    Unavailable,
}

/// <summary>A message refused before its first event; nothing was streamed. The API maps <see cref="Failure"/> to a status code.</summary>
public sealed class StreamStartException(StreamStartFailure failure, string message) : Exception(message)
{
    public StreamStartFailure Failure { get; } = failure;

    /// <summary>Problems per field, for <see cref="StreamStartFailure.Invalid"/>.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; init; } = new Dictionary<string, string[]>();

    /// <summary>For <see cref="StreamStartFailure.Upstream"/>: Anthropic's status code and error type.</summary>
    public int? UpstreamStatus { get; init; }
    public string? UpstreamErrorType { get; init; }

    /// <summary>The trace that records the refused call, when one was written.</summary>
    public string? TraceId { get; init; }

    internal static StreamStartException Invalid(string field, string error) =>
        new(StreamStartFailure.Invalid, error) { Errors = new Dictionary<string, string[]> { [field] = [error] } };
}
