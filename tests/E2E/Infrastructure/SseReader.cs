using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace CommandCenter.E2E.Infrastructure;

/// <summary>One SSE event as a client received it: its type, data and <c>id:</c>, and when it arrived (since reading began, and by the clock).</summary>
public sealed record ReceivedEvent(string Type, JsonElement Data, TimeSpan At, long Id)
{
    public DateTimeOffset ReceivedAt { get; } = DateTimeOffset.UtcNow;

    public string Text => Data.GetProperty("text").GetString()!;
}

/// <summary>Reads our SSE responses the way a client would: System.Net.ServerSentEvents' parser over the raw body, as it arrives.</summary>
public static class SseReader
{
    public static async IAsyncEnumerable<ReceivedEvent> ReadAsync(HttpResponseMessage response, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await foreach (var item in SseParser.Create(body).EnumerateAsync(ct))
        {
            using var json = JsonDocument.Parse(item.Data);
            yield return new ReceivedEvent(item.EventType, json.RootElement.Clone(), clock.Elapsed, long.Parse(item.EventId ?? "0", System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    public static async Task<List<ReceivedEvent>> ReadAllAsync(HttpResponseMessage response, CancellationToken ct = default)
    {
        var events = new List<ReceivedEvent>();
        await foreach (var e in ReadAsync(response, ct))
        {
            events.Add(e);
        }

        return events;
    }
}
