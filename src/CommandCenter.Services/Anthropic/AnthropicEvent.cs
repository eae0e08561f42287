using CommandCenter.Services.Pricing;

namespace CommandCenter.Services.Anthropic;

/// <summary>
/// The events of a Messages stream that matter to us; everything else (ping, the ends of blocks, future types) is
/// dropped by the reader.
/// </summary>
internal abstract record AnthropicEvent;

internal sealed record MessageStarted(string? MessageId, string? Model, WireUsage? Usage) : AnthropicEvent;

internal sealed record TextDelta(string Text) : AnthropicEvent;

/// <summary>A content block opens (text, thinking, redacted thinking, a server tool's call or its result), as Anthropic sent it.</summary>
internal sealed record BlockStarted(int Index, System.Text.Json.JsonElement Block) : AnthropicEvent
{
    public string? Type => Block.ValueKind == System.Text.Json.JsonValueKind.Object && Block.TryGetProperty("type", out var type) ? type.GetString() : null;
}

/// <summary>The signature that closes a thinking block; needed only to send the block back, never shown.</summary>
internal sealed record SignatureDelta(string Signature) : AnthropicEvent;

/// <summary>Summarised thinking; billed as output whether or not anyone sees it.</summary>
internal sealed record ThinkingDelta(string Text) : AnthropicEvent;

/// <summary>
/// Claude called a server tool (web search, web fetch) with this input, streamed whole: a JSON object, or, when the
/// pieces did not make valid JSON, the text as streamed.
/// </summary>
internal sealed record ServerToolCalled(string Id, string Name, System.Text.Json.JsonElement Input) : AnthropicEvent;

/// <summary>A piece of the JSON input of the tool call opened at <see cref="Index"/> (a server's or the client's).</summary>
internal sealed record ToolInputDelta(int Index, string PartialJson) : AnthropicEvent;

internal sealed record BlockStopped(int Index) : AnthropicEvent;

/// <summary>What a server tool returned: <see cref="Results"/> items, or the error code Anthropic gave.</summary>
internal sealed record ServerToolResult(string ToolUseId, int Results, string? ErrorCode) : AnthropicEvent;

/// <summary>A source the text that follows cites; <see cref="Citation"/> is the whole citation as Anthropic sent it.</summary>
internal sealed record CitationDelta(string? Url, string? Title, string? CitedText, System.Text.Json.JsonElement Citation) : AnthropicEvent;

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
            reported.ServerToolUse?.WebSearchRequests ?? current.WebSearchRequests,
            reported.OutputTokensDetails?.ThinkingTokens ?? current.ThinkingTokens);
    }
}
