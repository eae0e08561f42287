using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace CommandCenter.Services.Anthropic;

/// <summary>Turns the bytes of a Messages stream into <see cref="AnthropicEvent"/>s, as they arrive.</summary>
internal static class AnthropicStreamReader
{
    public static async IAsyncEnumerable<AnthropicEvent> ReadAsync(Stream body, [EnumeratorCancellation] CancellationToken ct)
    {
        var parser = SseParser.Create(body, static (eventType, data) => Parse(eventType, data));
        await foreach (var item in parser.EnumerateAsync(ct).ConfigureAwait(false))
        {
            if (item.Data is { } parsed)
            {
                yield return parsed;
            }
        }
    }

    internal static AnthropicEvent? Parse(string eventType, ReadOnlySpan<byte> data) => eventType switch
    {
        "message_start" => Deserialize(data) is { Message: var message }
            ? new MessageStarted(message?.Id, message?.Model, message?.Usage)
            : null,
        "content_block_delta" => Deserialize(data) is { Delta: { Type: "text_delta", Text: { } text } } ? new TextDelta(text) : null,
        "message_delta" => Deserialize(data) is { } delta ? new MessageDelta(delta.Delta?.StopReason, delta.Usage) : null,
        "message_stop" => MessageStopped.Instance,
        "error" => Deserialize(data) is { Error: var error }
            ? new StreamError(error?.Type ?? "error", error?.Message ?? "The model stream reported an error.")
            : null,
        // An SSE event without an "event:" line: fall back to the JSON's own type.
        SseParser.EventTypeDefault => Deserialize(data) is { Type: { } type and not SseParser.EventTypeDefault } ? Parse(type, data) : null,
        // ping, content_block_start/stop and event types added after this code was written.
        _ => null,
    };

    private static WireEvent? Deserialize(ReadOnlySpan<byte> data) => JsonSerializer.Deserialize(data, WireJsonContext.Default.WireEvent);
}
