using CommandCenter.Services.Pricing;

namespace CommandCenter.Services.Anthropic;

/// <summary>The events of a Messages stream that matter to us; everything else (ping, block boundaries, thinking, tool input, future types) is dropped by the reader.</summary>
internal abstract record AnthropicEvent;

internal sealed record MessageStarted(string? MessageId, string? Model, WireUsage? Usage) : AnthropicEvent;

internal sealed record TextDelta(string Text) : AnthropicEvent;

internal sealed record MessageDelta(string? StopReason, WireUsage? Usage) : AnthropicEvent;

internal sealed record MessageStopped : AnthropicEvent
{
    public static readonly MessageStopped Instance = new();
}

/// <summary>An <c>event: error</c> inside an otherwise successful response.</summary>
internal sealed record StreamError(string ErrorType, string Message) : AnthropicEvent;

internal static class UsageMerge
{
    /// <summary>
    /// Counts reported in an event replace earlier ones: <c>message_delta</c> usage is cumulative, never an increment.
    /// Counts the event leaves out keep their earlier value.
    /// </summary>
    public static TokenUsage Apply(this TokenUsage current, WireUsage? reported)
    {
        if (reported is null)
        {
            return current;
        }

        var write5m = current.CacheWrite5mTokens;
        var write1h = current.CacheWrite1hTokens;
        if (reported.CacheCreation is { } split)
        {
            write5m = split.Ephemeral5mInputTokens ?? write5m;
            write1h = split.Ephemeral1hInputTokens ?? write1h;
        }
        else if (reported.CacheCreationInputTokens is { } writes && writes != write5m + write1h)
        {
            // A new total without the split: Anthropic's default cache lifetime (5 minutes) applies.
            write5m = writes;
            write1h = 0;
        }

        return new TokenUsage(
            reported.InputTokens ?? current.InputTokens,
            reported.OutputTokens ?? current.OutputTokens,
            write5m,
            write1h,
            reported.CacheReadInputTokens ?? current.CacheReadTokens,
            reported.ServerToolUse?.WebSearchRequests ?? current.WebSearchRequests);
    }
}
