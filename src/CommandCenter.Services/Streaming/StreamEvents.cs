using System.Diagnostics;

namespace CommandCenter.Services.Streaming;

/// <summary>What a reply stream tells its consumer (the Blazor page or the SSE endpoint), in order: meta, chunk*, then cost + done or error.</summary>
public abstract record StreamEvent;

/// <param name="HistoryMessagesTrimmed">Oldest messages left out so the conversation fits the model's context window.</param>
public sealed record MetaEvent(string ConversationId, string TraceId, string MessageId, int HistoryMessagesTrimmed) : StreamEvent
{
    /// <summary>The question the reply answers: the message just sent, or the stored one when a reply is regenerated.</summary>
    public string? QuestionId { get; init; }
}

public sealed record ChunkEvent(string Text) : StreamEvent;

/// <summary>The priced usage of the call; the same numbers the trace stores.</summary>
/// <param name="CostEstimated">The reply ended before Anthropic reported its output tokens: we counted them.</param>
/// <param name="Costs">What each token class cost at the price row's own rates (null where not known, e.g. a reply stored before classes were priced apart).</param>
public sealed record CostEvent(
    int InputTokens,
    int OutputTokens,
    int CacheWriteTokens,
    int CacheReadTokens,
    decimal TotalCost,
    decimal CacheSavings,
    string Model,
    string? StopReason,
    bool CostEstimated = false,
    ServerToolUse? ServerToolUse = null,
    decimal ToolFees = 0m,
    int? ThinkingTokens = null,
    Pricing.ClassCosts? Costs = null) : StreamEvent
{
    /// <summary>The model stopped because the agent's max tokens were reached: the reply is cut short.</summary>
    public bool Truncated => StopReason == "max_tokens";
}

/// <summary>Anthropic's server tool requests of one reply, as its usage reported them.</summary>
public sealed record ServerToolUse(int WebSearchRequests);

/// <summary>Summarised thinking, sent only when the agent shows it.</summary>
public sealed record ThinkingEvent(string Text) : StreamEvent;

/// <summary>
/// A note the model writes between tool calls ("Found two sources; reading the first."), which today's models send in
/// thinking blocks: told as progress, so a reply that searches never goes silent. A new note starts with a blank line.
/// </summary>
public sealed record ProgressEvent(string Text) : StreamEvent;

/// <summary>A server tool call: <c>running</c> once its input is known, then <c>done</c> (with how many results) or <c>failed</c> (with Anthropic's error code).</summary>
public sealed record ToolEvent(string Name, System.Text.Json.JsonElement Input, string Status, int? Results = null, string? Error = null) : StreamEvent
{
    public const string Running = "running";
    public const string Done = "done";
    public const string Failed = "failed";
}

/// <summary>A source cited by the text that follows.</summary>
public sealed record CitationEvent(string? Url, string? Title, string? CitedText) : StreamEvent;

public sealed record DoneEvent : StreamEvent
{
    public static readonly DoneEvent Instance = new();
}

public sealed record ErrorEvent(string Error) : StreamEvent;

/// <summary>Each event's name on the wire: the SSE <c>event:</c> field, and the relay between instances.</summary>
public static class StreamEventNames
{
    /// <summary>The event's name on the wire (the SSE <c>event:</c> field).</summary>
    public static string Of(StreamEvent e) => e switch
    {
        MetaEvent => "meta",
        ChunkEvent => "chunk",
        ThinkingEvent => "thinking",
        ProgressEvent => "progress",
        ToolEvent => "tool",
        CitationEvent => "citation",
        CostEvent => "cost",
        DoneEvent => "done",
        ErrorEvent => "error",
        _ => throw new UnreachableException($"No name for {e.GetType().Name}."),
    };

    /// <summary>The event type with this name; null for a name no event has.</summary>
    public static Type? TypeOf(string name) => name switch
    {
        "meta" => typeof(MetaEvent),
        "chunk" => typeof(ChunkEvent),
        "thinking" => typeof(ThinkingEvent),
        "progress" => typeof(ProgressEvent),
        "tool" => typeof(ToolEvent),
        "citation" => typeof(CitationEvent),
        "cost" => typeof(CostEvent),
        "done" => typeof(DoneEvent),
        "error" => typeof(ErrorEvent),
        _ => null,
    };
}
