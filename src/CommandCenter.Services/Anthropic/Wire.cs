using System.Text.Json.Serialization;
using CommandCenter.Services.Agents;

namespace CommandCenter.Services.Anthropic;

// The Messages API's JSON, only the parts we send or read. https://docs.anthropic.com/en/api/messages-streaming

internal sealed record WireRequest(
    string Model,
    int MaxTokens,
    IReadOnlyList<WireTextBlock>? System,
    IReadOnlyList<WireMessage> Messages,
    bool Stream = true)
{
    public WireThinking? Thinking { get; init; }
    public WireOutputConfig? OutputConfig { get; init; }
    public IReadOnlyList<WireTool>? Tools { get; init; }

    /// <summary>The <c>anthropic-beta</c> header the request needs, if any; not part of the body.</summary>
    [JsonIgnore]
    public string? Beta { get; init; }

    /// <summary>The call an agent makes: its model and prompt, with its thinking and tools as the agent's settings say.</summary>
    public static WireRequest For(Agent agent, IReadOnlyList<WireTextBlock>? system, IReadOnlyList<WireMessage> messages, AnthropicOptions options)
    {
        List<WireTool> tools = [];
        if (agent.WebSearch is { Enabled: true } search)
        {
            tools.Add(new WireTool(options.WebSearchTool, "web_search")
            {
                MaxUses = search.MaxUses, AllowedDomains = search.AllowedDomains, BlockedDomains = search.BlockedDomains,
            });
        }

        if (agent.WebFetch is { Enabled: true })
        {
            tools.Add(new WireTool(options.WebFetchTool, "web_fetch"));
        }

        var thinking = agent.Thinking;
        return new WireRequest(agent.Model, agent.MaxTokens, system, messages)
        {
            // Summarised thinking only when operators may see it: omitted thinking lets the answer start sooner.
            Thinking = thinking switch
            {
                { Mode: ThinkingMode.Adaptive } => new WireThinking("adaptive", null, thinking.Show ? "summarized" : "omitted"),
                { Mode: ThinkingMode.Budget } => new WireThinking("enabled", thinking.BudgetTokens, thinking.Show ? "summarized" : "omitted"),
                _ => null,
            },
            OutputConfig = thinking is { Mode: ThinkingMode.Adaptive, Effort: { } effort } ? new WireOutputConfig(effort) : null,
            Tools = tools.Count > 0 ? tools : null,
            Beta = agent.WebFetch is { Enabled: true } && !string.IsNullOrEmpty(options.WebFetchBeta) ? options.WebFetchBeta : null,
        };
    }
}

internal sealed record WireThinking(string Type, int? BudgetTokens, string? Display);

internal sealed record WireOutputConfig(string Effort);

/// <summary>A server tool Anthropic runs itself (web search, web fetch): named by its versioned type.</summary>
internal sealed record WireTool(string Type, string Name)
{
    public int? MaxUses { get; init; }
    public IReadOnlyList<string>? AllowedDomains { get; init; }
    public IReadOnlyList<string>? BlockedDomains { get; init; }
}

/// <summary>POST /v1/messages/count_tokens: a Messages request's prompt, without max_tokens or stream.</summary>
internal sealed record WireCountRequest(string Model, IReadOnlyList<WireTextBlock>? System, IReadOnlyList<WireMessage> Messages);

internal sealed class WireTokenCount
{
    public int? InputTokens { get; init; }
}

/// <summary>
/// A turn of the conversation: text blocks as we write them, or (<see cref="Blocks"/>) an assistant turn's content
/// exactly as Anthropic streamed it, which a paused turn must be sent back as.
/// </summary>
[JsonConverter(typeof(WireMessageConverter))]
internal sealed record WireMessage(string Role, IReadOnlyList<WireTextBlock> Content)
{
    public System.Text.Json.Nodes.JsonArray? Blocks { get; init; }
}

internal sealed class WireMessageConverter : JsonConverter<WireMessage>
{
    public override WireMessage Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        throw new NotSupportedException("Messages are only sent.");

    public override void Write(System.Text.Json.Utf8JsonWriter writer, WireMessage value, System.Text.Json.JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("role"u8, value.Role);
        writer.WritePropertyName("content"u8);
        if (value.Blocks is { } blocks)
        {
            blocks.WriteTo(writer);
        }
        else
        {
            System.Text.Json.JsonSerializer.Serialize(writer, value.Content, WireJsonContext.Default.IReadOnlyListWireTextBlock);
        }

        writer.WriteEndObject();
    }
}

internal sealed record WireTextBlock(string Text, WireCacheControl? CacheControl = null)
{
    public string Type => "text";
}

internal sealed record WireCacheControl(string Type = "ephemeral");

/// <summary>Any event of the stream; fields absent from an event stay null.</summary>
internal sealed class WireEvent
{
    public string? Type { get; init; }
    public int? Index { get; init; }
    /// <summary>The block a <c>content_block_start</c> opens (text, thinking, a server tool's call or its result), kept whole.</summary>
    public System.Text.Json.JsonElement ContentBlock { get; init; }
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
    public string? Thinking { get; init; }
    public string? PartialJson { get; init; }
    public string? Signature { get; init; }
    /// <summary>A citation as Anthropic sent it: its fields differ by kind, and a paused turn sends it back whole.</summary>
    public System.Text.Json.JsonElement Citation { get; init; }
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
    public WireOutputTokensDetails? OutputTokensDetails { get; init; }
}

/// <summary>What <c>output_tokens</c> is made of: its thinking tokens (inside it, never on top).</summary>
internal sealed class WireOutputTokensDetails
{
    public int? ThinkingTokens { get; init; }
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
[JsonSerializable(typeof(IReadOnlyList<WireTextBlock>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(WireEvent))]
[JsonSerializable(typeof(WireErrorBody))]
[JsonSerializable(typeof(WireCountRequest))]
[JsonSerializable(typeof(WireTokenCount))]
internal sealed partial class WireJsonContext : JsonSerializerContext;
