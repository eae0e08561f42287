using System.Text.Json.Serialization;
using CommandCenter.Services.Agents;
using CommandCenter.Services.Models;

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

    /// <summary>What the reply does with the text of the thinking blocks it receives.</summary>
    [JsonIgnore]
    public ThinkingDeltas ThinkingShown { get; init; }

    /// <summary>
    /// The call an agent makes: its model and prompt, with its thinking and tools as the agent's settings say, and nothing
    /// the model refuses (<paramref name="model"/>: its catalogue entry; null for a model the catalogue does not know).
    /// </summary>
    public static WireRequest For(Agent agent, ModelCapabilities? model, IReadOnlyList<WireTextBlock>? system, IReadOnlyList<WireMessage> messages, AnthropicOptions options)
    {
        List<WireTool> tools = [];
        List<string> betas = [];
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
            if (!string.IsNullOrEmpty(options.WebFetchBeta))
            {
                betas.Add(options.WebFetchBeta);
            }
        }

        var settings = agent.Thinking ?? new ThinkingSettings();
        var mode = settings.Mode ?? ThinkingMode.Off;
        // An agent saved as off before its model could not turn thinking off gets what the model does anyway.
        if (mode == ThinkingMode.Off && model is not null && !model.Accepts(ThinkingType.Disabled))
        {
            mode = ThinkingMode.Adaptive;
            settings = settings with { Show = false };
        }

        // The display is always explicit (defaults differ by model): summarized when operators may see the thinking;
        // otherwise omitted, except that a model which writes its notes between tool calls into thinking blocks gets
        // "updates", so that those notes reach the chat as progress rather than silence.
        var display = settings.Show ? ThinkingDisplay.Summarized
            : tools.Count > 0 && model is { ToolTextInThinking: true, DisplayUpdates: true } ? ThinkingDisplay.Updates
            : ThinkingDisplay.Omitted;
        var (thinking, shown) = mode switch
        {
            ThinkingMode.Adaptive => (new WireThinking(ThinkingType.Adaptive, null, display), Shown(display)),
            ThinkingMode.Budget => (new WireThinking(ThinkingType.Enabled, settings.BudgetTokens, display), Shown(display)),
            ThinkingMode.BetweenTools => (new WireThinking(ThinkingType.BetweenTools, null, null), ThinkingDeltas.AsProgress),
            // Off is said explicitly where the model takes it: some think unless told not to.
            _ => (model?.Accepts(ThinkingType.Disabled) == true ? new WireThinking(ThinkingType.Disabled, null, null) : null, ThinkingDeltas.Hidden),
        };
        if (thinking?.Display == ThinkingDisplay.Updates)
        {
            betas.Add(ThinkingDisplay.Beta);
        }

        return new WireRequest(agent.Model, agent.MaxTokens, system, messages)
        {
            Thinking = thinking,
            OutputConfig = settings.Effort is { } effort ? new WireOutputConfig(effort) : null,
            Tools = tools.Count > 0 ? tools : null,
            Beta = betas.Count > 0 ? string.Join(',', betas) : null,
            ThinkingShown = shown,
        };
    }

    private static ThinkingDeltas Shown(string display) => display switch
    {
        ThinkingDisplay.Summarized => ThinkingDeltas.AsThinking,
        ThinkingDisplay.Updates => ThinkingDeltas.AsProgress,
        _ => ThinkingDeltas.Hidden,
    };
}

/// <summary>What a reply does with the text of the thinking blocks Anthropic sends.</summary>
internal enum ThinkingDeltas
{
    /// <summary>Nothing leaves the server (operators may not see the agent's thinking; omitted thinking has none anyway).</summary>
    Hidden,
    /// <summary>Told as <c>thinking</c> events: the agent shows its summarised thinking.</summary>
    AsThinking,
    /// <summary>Told as <c>progress</c> events: the notes a model writes between tool calls (between_tools, or display "updates").</summary>
    AsProgress,
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
internal sealed record WireCountRequest(string Model, IReadOnlyList<WireTextBlock>? System, IReadOnlyList<WireMessage> Messages)
{
    /// <summary>The <c>anthropic-beta</c> header the prompt needs (its attachments by <c>file_id</c>, say); not part of the body.</summary>
    [JsonIgnore]
    public string? Beta { get; init; }
}

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

    /// <summary>A user turn's images and PDFs, sent before its text (as Anthropic's vision guide advises).</summary>
    public IReadOnlyList<WireAttachmentBlock>? Attachments { get; init; }
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
        else if (value.Attachments is { Count: > 0 } attachments)
        {
            writer.WriteStartArray();
            foreach (var attachment in attachments)
            {
                System.Text.Json.JsonSerializer.Serialize(writer, attachment, WireJsonContext.Default.WireAttachmentBlock);
            }

            foreach (var text in value.Content)
            {
                System.Text.Json.JsonSerializer.Serialize(writer, text, WireJsonContext.Default.WireTextBlock);
            }

            writer.WriteEndArray();
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

/// <summary>
/// An image or a PDF (<c>type</c> image or document) by its copy in the Files API or inline as base64
/// (https://platform.claude.com/docs/en/build-with-claude/vision, …/pdf-support, …/files).
/// </summary>
internal sealed record WireAttachmentBlock(string Type, WireAttachmentSource Source)
{
    public static WireAttachmentBlock For(string mediaType, WireAttachmentSource source) =>
        new(mediaType.StartsWith("image/", StringComparison.Ordinal) ? "image" : "document", source);
}

/// <summary><c>{"type":"file","file_id":…}</c> or <c>{"type":"base64","media_type":…,"data":…}</c> (bytes, written as base64).</summary>
internal sealed record WireAttachmentSource(string Type)
{
    public string? FileId { get; init; }
    public string? MediaType { get; init; }
    public byte[]? Data { get; init; }

    public static WireAttachmentSource File(string fileId) => new("file") { FileId = fileId };

    public static WireAttachmentSource Base64(string mediaType, byte[] data) => new("base64") { MediaType = mediaType, Data = data };
}

/// <summary>What <c>POST /v1/files</c> answers: the uploaded file's id, among other things we do not keep.</summary>
internal sealed class WireFile
{
    public string? Id { get; init; }
}

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

/// <summary>A page of <c>GET /v1/models</c>.</summary>
internal sealed class WireModelList
{
    public IReadOnlyList<WireModelInfo>? Data { get; init; }
    public bool HasMore { get; init; }
    public string? LastId { get; init; }
}

/// <summary>A model as Anthropic's Models API describes it (ANTHROPIC.md §5, O14; the SDK's <c>ModelInfo</c>).</summary>
internal sealed class WireModelInfo
{
    public required string Id { get; init; }
    public string? DisplayName { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public string? Lifecycle { get; init; }
    public string? Line { get; init; }
    public DateTimeOffset? DeprecatedAt { get; init; }
    public DateTimeOffset? RetiresAt { get; init; }
    public int? MaxInputTokens { get; init; }
    public int? MaxTokens { get; init; }
    public WireModelCapabilities? Capabilities { get; init; }
}

internal sealed class WireModelCapabilities
{
    public WireThinkingCapability? Thinking { get; init; }
    public WireEffortCapability? Effort { get; init; }
}

internal sealed class WireThinkingCapability
{
    public WireThinkingTypes? Types { get; init; }
}

internal sealed class WireThinkingTypes
{
    public WireCapability? Adaptive { get; init; }
    public WireCapability? Enabled { get; init; }
    public WireCapability? Disabled { get; init; }
    public WireCapability? BetweenTools { get; init; }
}

internal sealed class WireEffortCapability
{
    public bool Supported { get; init; }
    public WireCapability? Low { get; init; }
    public WireCapability? Medium { get; init; }
    public WireCapability? High { get; init; }
    public WireCapability? Xhigh { get; init; }
    public WireCapability? Max { get; init; }
}

internal sealed class WireCapability
{
    public bool Supported { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WireRequest))]
[JsonSerializable(typeof(IReadOnlyList<WireTextBlock>))]
[JsonSerializable(typeof(WireTextBlock))]
[JsonSerializable(typeof(WireAttachmentBlock))]
[JsonSerializable(typeof(WireFile))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(WireEvent))]
[JsonSerializable(typeof(WireErrorBody))]
[JsonSerializable(typeof(WireCountRequest))]
[JsonSerializable(typeof(WireTokenCount))]
[JsonSerializable(typeof(WireModelList))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
[JsonSerializable(typeof(WireThinking))]
[JsonSerializable(typeof(WireOutputConfig))]
[JsonSerializable(typeof(WireTool))]
[JsonSerializable(typeof(WireUsage))]
internal sealed partial class WireJsonContext : JsonSerializerContext;
