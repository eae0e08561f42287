using System.Buffers;
using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using CommandCenter.Services.Streaming;

namespace CommandCenter.Web.Streaming;

/// <summary>
/// Writes a reply as Server-Sent Events with System.Net.ServerSentEvents' formatter, one write per event (no batching).
/// Not <c>TypedResults.ServerSentEvents</c>: that result cannot send the comment heartbeats we need while the model is
/// silent, and it sets its own Cache-Control.
/// </summary>
internal sealed class ServerSentEventsStreamResult(MessageStream stream, TimeSpan heartbeatInterval) : IResult
{
    private static readonly byte[] Heartbeat = ": keep-alive\n\n"u8.ToArray();
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    public async Task ExecuteAsync(HttpContext http)
    {
        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(http.RequestAborted);

        try
        {
            await SseFormatter.WriteAsync(Items(response.Body, http.RequestAborted), response.Body, Format, http.RequestAborted);
        }
        finally
        {
            _json?.Dispose();
        }
    }

    private async IAsyncEnumerable<SseItem<StreamEvent>> Items(Stream body, [EnumeratorCancellation] CancellationToken ct)
    {
        // Cancelled when a heartbeat cannot be written, so a gone client stops the reply even before the server notices.
        using var reply = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await using var events = stream.ReadEventsAsync(reply.Token).GetAsyncEnumerator();
        while (await NextAsync(events, body, reply))
        {
            yield return new SseItem<StreamEvent>(events.Current, EventName(events.Current));
        }
    }

    /// <summary>Waits for the next event, writing a comment line each time the model stays silent for the heartbeat interval.</summary>
    private async Task<bool> NextAsync(IAsyncEnumerator<StreamEvent> events, Stream body, CancellationTokenSource reply)
    {
        var ct = reply.Token;
        var next = events.MoveNextAsync();
        if (next.IsCompleted)
        {
            return await next;
        }

        var pending = next.AsTask();
        while (true)
        {
            try
            {
                return await pending.WaitAsync(heartbeatInterval, CancellationToken.None);
            }
            catch (TimeoutException)
            {
            }

            try
            {
                // The formatter is waiting on us, so this write cannot interleave with an event.
                await body.WriteAsync(Heartbeat, ct);
                await body.FlushAsync(ct);
            }
            catch
            {
                // The client left: stop the reply and let it settle before the enumerator is disposed.
                await reply.CancelAsync();
                await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw;
            }
        }
    }

    private static string EventName(StreamEvent e) => e switch
    {
        MetaEvent => "meta",
        ChunkEvent => "chunk",
        CostEvent => "cost",
        DoneEvent => "done",
        ErrorEvent => "error",
        _ => throw new UnreachableException($"No SSE name for {e.GetType().Name}."),
    };

    // One JSON writer for the whole response, re-pointed at each event's buffer: no allocation per chunk.
    private Utf8JsonWriter? _json;

    private void Format(SseItem<StreamEvent> item, IBufferWriter<byte> writer)
    {
        if (_json is null)
        {
            _json = new Utf8JsonWriter(writer);
        }
        else
        {
            _json.Reset(writer);
        }

        JsonSerializer.Serialize(_json, item.Data, item.Data.GetType(), Json);
        _json.Flush();
    }
}
