using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;

namespace CommandCenter.Bench;

/// <summary>One stream as a client saw it: when it was asked for, when each piece of text arrived, and how it ended.</summary>
internal sealed record StreamTiming(long SentAt, IReadOnlyList<long> ChunkTimes, bool Whole, string? Failure)
{
    /// <summary>When each piece of text arrived, on the wall clock (to compare with when the fake wrote it).</summary>
    public IReadOnlyList<DateTimeOffset> ChunkArrivals { get; init; } = [];

    public TimeSpan TimeToFirstChunk => ChunkTimes.Count > 0 ? Stopwatch.GetElapsedTime(SentAt, ChunkTimes[0]) : TimeSpan.Zero;

    public IEnumerable<TimeSpan> Gaps => ChunkTimes.Zip(ChunkTimes.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a, b));
}

/// <summary>
/// The same request two ways: straight to the fake upstream (what Anthropic itself would cost) and through the app's
/// SSE API (the upstream plus everything the app adds). Both read the body with System.Net.ServerSentEvents as it arrives.
/// </summary>
internal sealed class StreamClient(Uri app, Uri upstream) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxResponseDrainSize = 0, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public Task<StreamTiming> ThroughAppAsync(string token, string agentId, CancellationToken ct = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(app, "api/command-center/message"))
        {
            Content = JsonContent.Create(new { agentId, conversationId = (string?)null, message = "Benchmark" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return ReadAsync(request, textEvent: "chunk", endEvent: "done", ct);
    }

    public Task<StreamTiming> DirectAsync(string apiKey, CancellationToken ct = default) => AnthropicAsync(upstream, apiKey, ct);

    /// <summary>The same Messages request as <see cref="DirectAsync"/>, through the app's Anthropic-compatible gateway.</summary>
    public Task<StreamTiming> ThroughGatewayAsync(string integrationKey, CancellationToken ct = default) => AnthropicAsync(app, integrationKey, ct);

    private Task<StreamTiming> AnthropicAsync(Uri server, string apiKey, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, "v1/messages"))
        {
            Content = JsonContent.Create(new
            {
                model = "claude-sonnet-4-6",
                max_tokens = 1024,
                stream = true,
                system = "Be brief.",
                messages = new[] { new { role = "user", content = "Benchmark" } },
            }),
        };
        request.Headers.Add("x-api-key", apiKey);
        request.Headers.Add("anthropic-version", "2023-06-01");
        return ReadAsync(request, textEvent: "content_block_delta", endEvent: "message_stop", ct);
    }

    private async Task<StreamTiming> ReadAsync(HttpRequestMessage request, string textEvent, string endEvent, CancellationToken ct)
    {
        var sentAt = Stopwatch.GetTimestamp();
        var chunks = new List<long>(64);
        var arrivals = new List<DateTimeOffset>(64);
        try
        {
            using (request)
            using (var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct))
            {
                if (!response.IsSuccessStatusCode)
                {
                    return new StreamTiming(sentAt, chunks, false, $"HTTP {(int)response.StatusCode}");
                }

                await using var body = await response.Content.ReadAsStreamAsync(ct);
                await foreach (var item in SseParser.Create(body).EnumerateAsync(ct))
                {
                    if (item.EventType == textEvent)
                    {
                        chunks.Add(Stopwatch.GetTimestamp());
                        arrivals.Add(DateTimeOffset.UtcNow);
                    }
                    else if (item.EventType == endEvent)
                    {
                        return new StreamTiming(sentAt, chunks, true, null) { ChunkArrivals = arrivals };
                    }
                    else if (item.EventType == "error")
                    {
                        return new StreamTiming(sentAt, chunks, false, item.Data);
                    }
                }
            }

            return new StreamTiming(sentAt, chunks, false, "ended early");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return new StreamTiming(sentAt, chunks, false, e.GetType().Name);
        }
    }

    public void Dispose() => _http.Dispose();
}

internal static class Percentiles
{
    /// <summary>The <paramref name="p"/>th percentile (0–100), nearest rank.</summary>
    public static double Of(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static List<double> Sorted(IEnumerable<TimeSpan> values) => [.. values.Select(v => v.TotalMilliseconds).Order()];
}
