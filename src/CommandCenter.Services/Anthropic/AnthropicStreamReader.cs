using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace CommandCenter.Services.Anthropic;

/// <summary>Turns the bytes of a Messages stream into <see cref="AnthropicEvent"/>s, as they arrive.</summary>
internal static class AnthropicStreamReader
{
    public static async IAsyncEnumerable<AnthropicEvent> ReadAsync(Stream body, [EnumeratorCancellation] CancellationToken ct)
    {
        var parser = SseParser.Create(body, static (eventType, data) => Parse(eventType, data));
        // Server tool calls open, stream their input, and close; they are told once, whole, when they close.
        Dictionary<int, (string Id, string Name, StringBuilder Input)>? calls = null;
        await foreach (var item in parser.EnumerateAsync(ct).ConfigureAwait(false))
        {
            switch (item.Data)
            {
                case BlockStarted { Type: "server_tool_use" } started when Text(started.Block, "id") is { } id && Text(started.Block, "name") is { } name:
                    (calls ??= [])[started.Index] = (id, name, new StringBuilder());
                    yield return started;
                    break;
                case BlockStarted { Type: { } type } started when type.EndsWith("_tool_result", StringComparison.Ordinal)
                    && Text(started.Block, "tool_use_id") is { } toolUseId:
                    yield return started;
                    yield return ToolResult(toolUseId, started.Block.TryGetProperty("content", out var content) ? content : default);
                    break;
                case ToolInputDelta input:
                    if (calls?.GetValueOrDefault(input.Index).Input is { } json)
                    {
                        json.Append(input.PartialJson);
                    }

                    break; // a client tool's input: not ours to run
                case BlockStopped stopped:
                    if (calls?.Remove(stopped.Index, out var call) == true)
                    {
                        yield return new ServerToolCalled(call.Id, call.Name, ToolInput(call.Input.ToString()));
                    }

                    break;
                case { } parsed:
                    yield return parsed;
                    break;
            }
        }
    }

    internal static AnthropicEvent? Parse(string eventType, ReadOnlySpan<byte> data) => eventType switch
    {
        "message_start" => Deserialize(data) is { Message: var message }
            ? new MessageStarted(message?.Id, message?.Model, message?.Usage)
            : null,
        "content_block_delta" => Deserialize(data) switch
        {
            { Delta: { Type: "text_delta", Text: { } text } } => new TextDelta(text),
            { Delta: { Type: "thinking_delta", Thinking: { } thinking } } => new ThinkingDelta(thinking),
            { Index: { } index, Delta: { Type: "input_json_delta", PartialJson: { } json } } => new ToolInputDelta(index, json),
            { Delta: { Type: "citations_delta", Citation: { ValueKind: JsonValueKind.Object } citation } } =>
                new CitationDelta(Text(citation, "url"), Text(citation, "title"), Text(citation, "cited_text"), citation),
            { Delta: { Type: "signature_delta", Signature: { } signature } } => new SignatureDelta(signature),
            _ => null, // newer kinds
        },
        "content_block_start" => Deserialize(data) is { Index: { } index, ContentBlock: { ValueKind: JsonValueKind.Object } block }
            ? new BlockStarted(index, block)
            : null,
        "content_block_stop" => Deserialize(data) is { Index: { } stopped } ? new BlockStopped(stopped) : null,
        "message_delta" => Deserialize(data) is { } delta ? new MessageDelta(delta.Delta?.StopReason, delta.Usage) : null,
        "message_stop" => MessageStopped.Instance,
        "error" => Deserialize(data) is { Error: var error }
            ? new StreamError(error?.Type ?? "error", error?.Message ?? "The model stream reported an error.")
            : null,
        // An SSE event without an "event:" line: fall back to the JSON's own type.
        SseParser.EventTypeDefault => Deserialize(data) is { Type: { } type and not SseParser.EventTypeDefault } ? Parse(type, data) : null,
        // ping and event types added after this code was written.
        _ => null,
    };

    /// <summary>Web search returns a list of results; web fetch one page; either may return an error object instead.</summary>
    private static ServerToolResult ToolResult(string toolUseId, JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.Array => new ServerToolResult(toolUseId, content.GetArrayLength(), null),
        JsonValueKind.Object when content.TryGetProperty("error_code", out var code) =>
            new ServerToolResult(toolUseId, 0, code.ValueKind == JsonValueKind.String ? code.GetString()! : "unavailable"),
        JsonValueKind.Object => new ServerToolResult(toolUseId, 1, null),
        _ => new ServerToolResult(toolUseId, 0, null),
    };

    /// <summary>A tool call's input as Anthropic streamed it; an empty one is an empty object.</summary>
    private static JsonElement ToolInput(string json)
    {
        try
        {
            using var parsed = JsonDocument.Parse(json.Length > 0 ? json : "{}");
            return parsed.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(json, WireJsonContext.Default.String);
        }
    }

    private static string? Text(JsonElement json, string property) =>
        json.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static WireEvent? Deserialize(ReadOnlySpan<byte> data) => JsonSerializer.Deserialize(data, WireJsonContext.Default.WireEvent);
}
