namespace CommandCenter.Services.Traces;

/// <summary>One operator instruction (table <c>task_trace</c>, names fixed by the spec's verification SQL).</summary>
public sealed class TaskTrace
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string MasterAgentId { get; init; }
    public string? ConversationId { get; init; }
    /// <summary>The client's <c>User-Agent</c>, for calls that came through the gateway (SDKs, Claude Code).</summary>
    public string? UserAgent { get; init; }
    public required string Instruction { get; init; }
    /// <summary>The files the instruction carried and how each was sent (by <c>file_id</c> or inline); null when none.</summary>
    public IReadOnlyList<Files.TracedAttachment>? Attachments { get; init; }
    public string Status { get; set; } = TraceStatus.Running;
    public decimal TotalCost { get; set; }
    public int TotalTokens { get; set; }
    /// <summary>The process that runs this trace; see <see cref="StaleTraceReaper"/>.</summary>
    public long InstanceKey { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; set; }
    public DateTimeOffset CreatedAt { get; init; }

    public List<TraceSession> Sessions { get; init; } = [];
}

public static class TraceStatus
{
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}
