namespace CommandCenter.Services.Traces;

/// <summary>One upstream model call of a trace (table <c>trace_sessions</c>).</summary>
public sealed class TraceSession
{
    public required string Id { get; init; }
    public required string TaskTraceId { get; init; }
    /// <summary>The trace's owner, repeated here so that usage is read from this table alone.</summary>
    public required string OwnerId { get; init; }
    public required string AgentId { get; init; }
    /// <summary>The integration key the message came with; null when its owner sent it (the page, or a sign-in token).</summary>
    public string? IntegrationKeyId { get; init; }
    public required string Instruction { get; init; }
    public string Status { get; set; } = SessionStatus.Running;
    public required string ModelUsed { get; init; }
    public string SessionType { get; init; } = "command-center";

    public decimal Cost { get; set; }
    public int TokensIn { get; set; }
    public int TokensOut { get; set; }
    /// <summary>The thinking tokens inside <see cref="TokensOut"/>, as Anthropic reported them; null when it did not.</summary>
    public int? ThinkingTokens { get; set; }
    public int CacheWriteTokens { get; set; }
    public int CacheWrite1hTokens { get; set; }
    public int CacheReadTokens { get; set; }
    /// <summary>The output tokens were counted by us: the reply ended before Anthropic reported them.</summary>
    public bool CostEstimated { get; set; }
    /// <summary>Web searches Anthropic ran for the reply, each billed at <see cref="WebSearchPerThousand"/> dollars per 1,000.</summary>
    public int WebSearchRequests { get; set; }
    /// <summary>The server tools' per-request fees, inside <see cref="Cost"/>.</summary>
    public decimal ToolFees { get; set; }
    /// <summary>The web search rate this call was charged at (copied from the price table when it ran).</summary>
    public decimal WebSearchPerThousand { get; set; }

    /// <summary>
    /// The price this call was charged at, copied so later price changes never rewrite history: the five rates applied,
    /// the prompt-length tier's when it applied (<see cref="PriceTierApplied"/>).
    /// </summary>
    public int ModelPriceId { get; init; }
    public decimal InputPricePerMTok { get; set; }
    public decimal CacheWrite5mPricePerMTok { get; set; }
    public decimal CacheWrite1hPricePerMTok { get; set; }
    public decimal CacheReadPricePerMTok { get; set; }
    public decimal OutputPricePerMTok { get; set; }
    public bool PriceTierApplied { get; set; }

    public int? DurationMs { get; set; }
    public int? TimeToFirstTokenMs { get; set; }
    public string? StopReason { get; set; }
    /// <summary>Anthropic paused the turn (<c>pause_turn</c>) and the next session of the trace continued it: not the call that ended the reply.</summary>
    public bool Continued { get; set; }
    public string? UpstreamRequestId { get; set; }
    public string? UpstreamMessageId { get; set; }
    public int? UpstreamStatus { get; set; }
    public string? Error { get; set; }
    public int HistoryMessagesSent { get; init; }
    public int HistoryMessagesTrimmed { get; init; }

    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
}

public static class SessionStatus
{
    public const string Running = "running";
    public const string Success = "success";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}
