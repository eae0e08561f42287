using System.Buffers;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using CommandCenter.Services.Streaming;

namespace CommandCenter.Web.Streaming;

/// <summary>
/// Writes what one watcher of a reply sees as Server-Sent Events with System.Net.ServerSentEvents' formatter, one write
/// per event (no batching), each with its number as <c>id:</c> so a client can resume after it. The response only
/// watches: when the client leaves, the reply goes on without it.
/// Not <c>TypedResults.ServerSentEvents</c>: that result cannot send the comment heartbeats we need while the model is
/// silent, and it sets its own Cache-Control.
/// </summary>
internal sealed class ServerSentEventsStreamResult(IAsyncEnumerable<ReplyEvent> watch, TimeSpan heartbeatInterval) : IResult
{
    private static readonly byte[] Heartbeat = ": keep-alive\n\n"u8.ToArray();

    /// <summary>Disposed when the response ends, however it ends: a relay from another instance must stop with it.</summary>
    public IAsyncDisposable? Owner { get; init; }

    public async Task ExecuteAsync(HttpContext http)
    {
        await using var owner = Owner;
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
        // Cancelled when a heartbeat cannot be written, so a gone client detaches even before the server notices.
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await using var events = watch.GetAsyncEnumerator(watching.Token);
        while (await NextAsync(events, body, watching))
        {
            var (id, e) = events.Current;
            yield return new SseItem<StreamEvent>(e, StreamEventNames.Of(e)) { EventId = id.ToString(CultureInfo.InvariantCulture) };
        }
    }

    /// <summary>Waits for the next event, writing a comment line each time the reply stays silent for the heartbeat interval.</summary>
    private async Task<bool> NextAsync(IAsyncEnumerator<ReplyEvent> events, Stream body, CancellationTokenSource watching)
    {
        var ct = watching.Token;
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
                // The client left: stop watching (the reply goes on) before the enumerator is disposed.
                await watching.CancelAsync();
                await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw;
            }
        }
    }

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

        JsonSerializer.Serialize(_json, item.Data, item.Data.GetType(), StreamEventJsonContext.Default);
        _json.Flush();
    }
}
