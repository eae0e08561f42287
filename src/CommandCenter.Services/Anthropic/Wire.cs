using System.Text.Json.Serialization;

namespace CommandCenter.Services.Anthropic;

// The Messages API's JSON, only the parts we send or read. https://docs.anthropic.com/en/api/messages-streaming

internal sealed record WireRequest(
    string Model,
    int MaxTokens,
    IReadOnlyList<WireTextBlock>? System,
    IReadOnlyList<WireMessage> Messages,
    bool Stream = true);

/// <summary>POST /v1/messages/count_tokens: a Messages request's prompt, without max_tokens or stream.</summary>
internal sealed record WireCountRequest(string Model, IReadOnlyList<WireTextBlock>? System, IReadOnlyList<WireMessage> Messages);

internal sealed class WireTokenCount
{
    public int? InputTokens { get; init; }
}

internal sealed record WireMessage(string Role, IReadOnlyList<WireTextBlock> Content);

internal sealed record WireTextBlock(string Text, WireCacheControl? CacheControl = null)
{
    public string Type => "text";
}

internal sealed record WireCacheControl(string Type = "ephemeral");

/// <summary>Any event of the stream; fields absent from an event stay null.</summary>
internal sealed class WireEvent
{
    public string? Type { get; init; }
    public WireMessageInfo? Message { get; init; }
    public WireDelta? Delta { get; init; }
    public WireUsage? Usage { get; init; }
    public WireError? Error { get; init; }
}

internal sealed class WireMessageInfo
{
    public string? Id { get; init; }
    public string? Model { get; init; }
    public WireUsage? Usage { get; init; }
}

internal sealed class WireDelta
{
    public string? Type { get; init; }
    public string? Text { get; init; }
    public string? StopReason { get; init; }
}

internal sealed class WireUsage
{
    public int? InputTokens { get; init; }
    public int? OutputTokens { get; init; }
    public int? CacheCreationInputTokens { get; init; }
    public int? CacheReadInputTokens { get; init; }
    public WireCacheCreation? CacheCreation { get; init; }
    public WireServerToolUse? ServerToolUse { get; init; }
}

internal sealed class WireServerToolUse
{
    public int? WebSearchRequests { get; init; }
}

internal sealed class WireCacheCreation
{
    [JsonPropertyName("ephemeral_5m_input_tokens")]
    public int? Ephemeral5mInputTokens { get; init; }

    [JsonPropertyName("ephemeral_1h_input_tokens")]
    public int? Ephemeral1hInputTokens { get; init; }
}

internal sealed class WireError
{
    public string? Type { get; init; }
    public string? Message { get; init; }
}

internal sealed class WireErrorBody
{
    public WireError? Error { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WireRequest))]
[JsonSerializable(typeof(WireEvent))]
[JsonSerializable(typeof(WireErrorBody))]
[JsonSerializable(typeof(WireCountRequest))]
[JsonSerializable(typeof(WireTokenCount))]
internal sealed partial class WireJsonContext : JsonSerializerContext;
