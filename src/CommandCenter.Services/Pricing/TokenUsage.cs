namespace CommandCenter.Services.Pricing;

/// <summary>
/// Token counts of one model call, each kind kept apart (cache tokens are never folded into input), and its server tool
/// requests. <see cref="ThinkingTokens"/> are part of <see cref="OutputTokens"/>, null when Anthropic did not say.
/// </summary>
public readonly record struct TokenUsage(
    int InputTokens,
    int OutputTokens,
    int CacheWrite5mTokens = 0,
    int CacheWrite1hTokens = 0,
    int CacheReadTokens = 0,
    int WebSearchRequests = 0,
    int? ThinkingTokens = null)
{
    public int CacheWriteTokens => CacheWrite5mTokens + CacheWrite1hTokens;

    public int TotalTokens => InputTokens + CacheWriteTokens + CacheReadTokens + OutputTokens;

    /// <summary>The counts of two calls together (the calls of one paused and continued reply).</summary>
    public static TokenUsage operator +(TokenUsage a, TokenUsage b) => new(
        a.InputTokens + b.InputTokens, a.OutputTokens + b.OutputTokens, a.CacheWrite5mTokens + b.CacheWrite5mTokens,
        a.CacheWrite1hTokens + b.CacheWrite1hTokens, a.CacheReadTokens + b.CacheReadTokens, a.WebSearchRequests + b.WebSearchRequests,
        a.ThinkingTokens is null && b.ThinkingTokens is null ? null : (a.ThinkingTokens ?? 0) + (b.ThinkingTokens ?? 0));
}
