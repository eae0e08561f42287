namespace CommandCenter.Services.Conversations;

/// <summary>One turn half: the operator's message or the assistant's reply, with the reply's tokens and cost.</summary>
public sealed class Message
{
    public required string Id { get; init; }
    public required string ConversationId { get; init; }
    /// <summary>Order within the conversation; unique, so two concurrent sends to one conversation cannot interleave.</summary>
    public int Position { get; init; }
    public required string Role { get; init; }
    public string Content { get; set; } = "";
    public string Status { get; set; } = MessageStatus.Complete;
    public string? TaskTraceId { get; init; }
    /// <summary>A reply's question; null on replies stored before regenerating existed (their question is the message before).</summary>
    public string? ReplyToId { get; init; }
    /// <summary>
    /// Replaced: a reply regenerated (kept as a sibling of the one that replaced it), or a question edited and sent again
    /// (with its replies). Shown as such, never sent upstream again.
    /// </summary>
    public bool Superseded { get; set; }
    /// <summary>
    /// An edited question's first version: the questions naming it, and it, are the versions of one question, in the
    /// order they were written. Null on a first version and on replies.
    /// </summary>
    public string? VersionOfId { get; init; }
    /// <summary>
    /// A question version set aside (superseded by an edit or by choosing another version): which of its replies was the
    /// current one then, to be current again when this version is chosen back. Null otherwise.
    /// </summary>
    public string? ChosenReplyId { get; set; }
    public int InputTokens { get; set; }
    public int OutputTokens { get; set; }
    public int CacheWriteTokens { get; set; }
    public int CacheReadTokens { get; set; }
    public decimal? Cost { get; set; }
    /// <summary>The output tokens were counted by us: the reply ended before Anthropic reported them.</summary>
    public bool CostEstimated { get; set; }
    public string? StopReason { get; set; }
    public string? Error { get; set; }
    /// <summary>What the reply did besides writing: its shown thinking, tool calls and sources; null when nothing.</summary>
    public ReplyActivity? Activity { get; set; }
    /// <summary>A question's files, in the order attached; null when none.</summary>
    public IReadOnlyList<Files.Attachment>? Attachments { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; set; }
}

/// <summary>
/// A reply's thinking (only when its agent showed it), its server tool calls as they ended, the sources it cited and
/// its progress notes between tool calls: kept so a reloaded conversation shows them. Never sent upstream again: later
/// turns send the text only.
/// </summary>
public sealed record ReplyActivity(
    string? Thinking, IReadOnlyList<Streaming.ToolEvent> Tools, IReadOnlyList<Streaming.CitationEvent> Citations, string? Progress = null);

public static class MessageRole
{
    public const string User = "user";
    public const string Assistant = "assistant";
}

public static class MessageStatus
{
    public const string Complete = "complete";
    /// <summary>Reply still arriving; never left behind: the stream's end or the stale-trace reaper settles it.</summary>
    public const string Streaming = "streaming";
    public const string Stopped = "stopped";
    public const string Failed = "failed";
}
