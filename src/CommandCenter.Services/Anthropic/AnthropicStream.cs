namespace CommandCenter.Services.Anthropic;

/// <summary>
/// One open Messages call: its events, read once and in order, and the means to end it. The response is held until
/// disposed; cancelling ends a pending read at once, and disposing closes the connection, which is what stops Anthropic
/// generating (and billing) more.
/// </summary>
internal sealed class AnthropicStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly Stream _body;
    private readonly CancellationTokenSource _cancel = new();
    private readonly IAsyncEnumerator<AnthropicEvent> _events;
    private int _disposed;

    public AnthropicStream(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _body = body;
        RequestId = AnthropicClient.RequestIdOf(response);
        _events = AnthropicStreamReader.ReadAsync(body, _cancel.Token).GetAsyncEnumerator();
    }

    public string? RequestId { get; }

    public AnthropicEvent Current => _events.Current;

    /// <summary>The next event; false when the stream ended. Throws <see cref="OperationCanceledException"/> once cancelled.</summary>
    public ValueTask<bool> MoveNextAsync() => _events.MoveNextAsync();

    /// <summary>Waits for <c>message_start</c>, the event that opens every successful stream and carries the first usage.</summary>
    /// <exception cref="AnthropicApiException">The stream failed, ended or stayed silent before it.</exception>
    public async Task<MessageStarted> ReadStartAsync(TimeSpan timeout)
    {
        _cancel.CancelAfter(timeout);
        try
        {
            while (await _events.MoveNextAsync())
            {
                switch (_events.Current)
                {
                    case MessageStarted started:
                        return started;
                    case StreamError error:
                        throw new AnthropicApiException(500, error.ErrorType, error.Message, RequestId);
                }
            }

            throw new AnthropicApiException(502, "connection_error", "Anthropic ended the stream before the reply began.", RequestId);
        }
        catch (OperationCanceledException)
        {
            throw new AnthropicApiException(504, "timeout", "Anthropic did not begin the reply in time.", RequestId);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or System.Text.Json.JsonException)
        {
            throw new AnthropicApiException(502, "connection_error", "The connection to Anthropic failed as the reply began.", RequestId);
        }
        finally
        {
            _cancel.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Ends a pending or future read with <see cref="OperationCanceledException"/>; callbacks run off the caller's thread.</summary>
    public Task CancelAsync() => _cancel.CancelAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _cancel.CancelAsync();
        await _events.DisposeAsync();
        await _body.DisposeAsync();
        _response.Dispose();
        // _cancel stays undisposed: a late CancelAsync (a stop as the reply ends) must find it usable.
    }
}
