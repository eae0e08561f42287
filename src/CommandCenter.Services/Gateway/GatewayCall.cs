using System.Text;
using System.Text.Json;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Streaming;
using Microsoft.Extensions.Logging;

namespace CommandCenter.Services.Gateway;

/// <summary>
/// One call through the gateway, from Anthropic's answer to its settled trace. It owns its upstream response, its rows
/// and its reservations: <see cref="RelayAsync"/> passes Anthropic's bytes to the client unchanged (an error as it
/// came, a JSON message whole, a stream event by event as it arrives) and records what it cost, also when the client
/// leaves mid-stream (billed what it generated) or the database is away (retried until it lands).
/// </summary>
public sealed partial class GatewayCall : IAsyncDisposable
{
    private readonly HttpResponseMessage _upstream;
    private readonly ReplyRows _rows;
    private readonly ReplyRecorder _recorder;
    private readonly AnthropicClient _anthropic;
    private readonly OutputTokenCounter _outputCounter;
    private readonly Action _release;
    private readonly CancellationToken _recordingAbandoned;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly long _started;
    private int _released;
    private Func<Task>? _complete;

    internal GatewayCall(
        HttpResponseMessage upstream, bool streams, ReplyRows rows, ReplyRecorder recorder, AnthropicClient anthropic, OutputTokenCounter outputCounter,
        Action release, CancellationToken recordingAbandoned, TimeProvider clock, long started, ILogger logger)
    {
        _upstream = upstream;
        Streams = streams;
        _rows = rows;
        _recorder = recorder;
        _anthropic = anthropic;
        _outputCounter = outputCounter;
        _release = release;
        _recordingAbandoned = recordingAbandoned;
        _clock = clock;
        _started = started;
        _logger = logger;
    }

    /// <summary>Anthropic's status for the call: the client gets the same.</summary>
    public int StatusCode => (int)_upstream.StatusCode;

    /// <summary>Anthropic's headers the client needs: its request id, content type and, on a refusal, when to try again.</summary>
    public string? RequestId => AnthropicClient.RequestIdOf(_upstream);

    public string ContentType => _upstream.Content.Headers.ContentType?.ToString() ?? "application/json";

    public string? RetryAfter => _upstream.Headers.TryGetValues("retry-after", out var values) ? values.FirstOrDefault() : null;

    /// <summary>The answer is a stream of server-sent events (the request asked for one and Anthropic began it).</summary>
    public bool Streams { get; }

    /// <summary>The trace this call is recorded as.</summary>
    public string TraceId => _rows.Trace.Id;

    /// <summary>
    /// Writes Anthropic's answer to <paramref name="client"/>, ends the response (<paramref name="complete"/>: the client
    /// does not wait for our bookkeeping, nor for a database that is away), then records the call. Returns once the call
    /// is settled; a client that leaves ends the relay, not the recording.
    /// </summary>
    public async Task RelayAsync(Stream client, Func<Task> complete, CancellationToken clientGone)
    {
        _complete = complete;
        try
        {
            if (!_upstream.IsSuccessStatusCode)
            {
                await RefusedAsync(client, clientGone);
            }
            else if (Streams)
            {
                await RelayStreamAsync(client, clientGone);
            }
            else
            {
                await RelayMessageAsync(client, clientGone);
            }
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Anthropic said no: its answer goes to the client as it came, and the trace records the refusal.</summary>
    private async Task RefusedAsync(Stream client, CancellationToken clientGone)
    {
        var body = await _upstream.Content.ReadAsByteArrayAsync(CancellationToken.None);
        var error = ErrorOf(body);
        var refusal = new AnthropicApiException(StatusCode, error?.Type ?? "http_error", error?.Message ?? _upstream.ReasonPhrase ?? "Request failed.", RequestId);
        await WriteQuietlyAsync(client, body, clientGone);
        await CompleteAsync();
        if (!await _recorder.RecordRefusalAsync(_rows, refusal, ReplyRecorder.RefusalError(_rows.Session.ModelUsed, refusal)))
        {
            await _recorder.ReleaseChargesAsync(_rows);
        }
    }

    /// <summary>A whole message: relayed as it came, recorded in one write from its usage.</summary>
    private async Task RelayMessageAsync(Stream client, CancellationToken clientGone)
    {
        var body = await _upstream.Content.ReadAsByteArrayAsync(CancellationToken.None);
        var message = ReadMessage(body);
        var end = new ReplySnapshot(message is null ? ReplyOutcome.Failed : ReplyOutcome.Completed, default(TokenUsage).Apply(message?.Usage))
        {
            Text = message?.Text ?? "",
            StopReason = message?.StopReason,
            Error = message is null ? "Anthropic's message could not be read." : null,
            UpstreamRequestId = RequestId,
            UpstreamMessageId = message?.Id,
            Duration = _clock.GetElapsedTime(_started),
        };
        await WriteQuietlyAsync(client, body, clientGone);
        await CompleteAsync();
        await RecordAsync(() => _recorder.RecordStartAsync(_rows, end, _recordingAbandoned));
    }

    /// <summary>
    /// A stream: each chunk goes to the client as it arrives (<see cref="RelayStream"/>) and is read for usage, text and
    /// the stop reason; the start is recorded at <c>message_start</c> and the end once the stream is over.
    /// </summary>
    private async Task RelayStreamAsync(Stream client, CancellationToken clientGone)
    {
        var body = await _upstream.Content.ReadAsStreamAsync(CancellationToken.None);
        await using var events = _anthropic.Stream(_upstream, new RelayStream(body, client, clientGone));
        var usage = default(TokenUsage);
        var text = new StringBuilder();
        var outputReported = false;
        string? stopReason = null, messageId = null;
        long? firstToken = null;
        Task startWrite = Task.CompletedTask;
        ReplySnapshot Snapshot(ReplyOutcome outcome, string? error) => new(outcome, usage)
        {
            Text = text.ToString(), StopReason = stopReason, Error = error, UpstreamRequestId = RequestId, UpstreamMessageId = messageId,
            TimeToFirstToken = firstToken is { } first ? _clock.GetElapsedTime(_started, first) : null, Duration = _clock.GetElapsedTime(_started),
        };

        ReplySnapshot end;
        try
        {
            end = Snapshot(ReplyOutcome.Failed, "Anthropic's stream ended before the reply was complete.");
            while (await events.MoveNextAsync())
            {
                switch (events.Current)
                {
                    case MessageStarted started:
                        usage = usage.Apply(started.Usage);
                        messageId = started.MessageId;
                        // Written as the reply streams: even a call whose server dies is recorded with the input it was billed for.
                        var running = Snapshot(ReplyOutcome.Running, null);
                        startWrite = Task.Run(() => _recorder.RecordStartAsync(_rows, running, _recordingAbandoned));
                        break;
                    case TextDelta delta:
                        firstToken ??= _clock.GetTimestamp();
                        text.Append(delta.Text);
                        break;
                    case MessageDelta delta:
                        usage = usage.Apply(delta.Usage);
                        outputReported |= delta.Usage?.OutputTokens is not null;
                        stopReason = delta.StopReason ?? stopReason;
                        break;
                    case StreamError failure:
                        end = Snapshot(ReplyOutcome.Failed, $"Anthropic stream error ({failure.ErrorType}): {failure.Message}");
                        goto ended;
                    case MessageStopped:
                        end = Snapshot(ReplyOutcome.Completed, null);
                        goto ended;
                }
            }

            end = Snapshot(ReplyOutcome.Failed, "Anthropic's stream ended before the reply was complete.");
        ended:;
        }
        catch (ClientGoneException e)
        {
            end = Snapshot(ReplyOutcome.Cancelled, e.Message);
        }
        catch (Exception e) when (e is TimeoutException or IOException or HttpRequestException or JsonException)
        {
            LogStreamBroken(_logger, e, TraceId);
            end = Snapshot(ReplyOutcome.Failed, e is TimeoutException ? "Anthropic stopped responding." : "The connection to Anthropic was lost before the reply was complete.");
        }

        // Closing the response is what stops Anthropic generating (and billing) more.
        await events.DisposeAsync();
        await CompleteAsync();
        if (end.Outcome != ReplyOutcome.Completed && !outputReported && end.Text.Length > 0)
        {
            var output = await _outputCounter.CountAsync(TraceId, end.Text, end.Usage, continuation: false, _recordingAbandoned);
            end = end with { Usage = end.Usage with { OutputTokens = output }, OutputEstimated = true };
        }

        if (messageId is null)
        {
            // It never began: nothing was billed, and there is no start to settle.
            await RecordAsync(() => _recorder.RecordStartAsync(_rows, end, _recordingAbandoned));
            return;
        }

        await RecordAsync(async () =>
        {
            await startWrite;
            await ((IReplyRecorder)_recorder).SettleAsync(_rows, end, _recordingAbandoned);
        });
    }

    private async Task RecordAsync(Func<Task> write)
    {
        try
        {
            await write();
        }
        catch (Exception e) when (e is StreamStartException or ReplyNotRecordedException or OperationCanceledException)
        {
            // The client has its answer; the log keeps what the trace could not (the reaper settles a trace left running).
            LogNotRecorded(_logger, TraceId, e.Message);
        }
    }

    /// <summary>Ends the client's response: everything Anthropic sent has been relayed.</summary>
    private async Task CompleteAsync()
    {
        try
        {
            await (_complete?.Invoke() ?? Task.CompletedTask);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The client left.
        }
    }

    private static async Task WriteQuietlyAsync(Stream client, byte[] body, CancellationToken clientGone)
    {
        try
        {
            await client.WriteAsync(body, clientGone);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The client left; the call is recorded all the same.
        }
    }

    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _release();
        }
    }

    public ValueTask DisposeAsync()
    {
        Release();
        _upstream.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed record ReadMessageResult(string? Id, string? StopReason, string Text, WireUsage? Usage);

    private static ReadMessageResult? ReadMessage(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var text = root.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array
                ? string.Concat(content.EnumerateArray().Where(b => b.TryGetProperty("type", out var t) && t.ValueEquals("text")).Select(b => b.GetProperty("text").GetString()))
                : "";
            return new ReadMessageResult(
                root.TryGetProperty("id", out var id) ? id.GetString() : null,
                root.TryGetProperty("stop_reason", out var stop) && stop.ValueKind == JsonValueKind.String ? stop.GetString() : null,
                text,
                root.TryGetProperty("usage", out var usage) ? usage.Deserialize(WireJsonContext.Default.WireUsage) : null);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return null;
        }
    }

    private static WireError? ErrorOf(byte[] body)
    {
        try
        {
            return JsonSerializer.Deserialize(body, WireJsonContext.Default.WireErrorBody)?.Error;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway trace {TraceId}: Anthropic's stream broke")]
    private static partial void LogStreamBroken(ILogger logger, Exception exception, string traceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gateway trace {TraceId} could not be recorded: {Reason}")]
    private static partial void LogNotRecorded(ILogger logger, string traceId, string reason);
}
