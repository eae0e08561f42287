using System.Runtime.CompilerServices;

namespace CommandCenter.Services.Anthropic;

/// <summary>
/// One open Messages call: its events, read once and in order, and the means to end it. The response is held until
/// disposed; cancelling ends a pending read at once, and disposing closes the connection, which is what stops Anthropic
/// generating (and billing) more. A call that sends nothing at all — not even a <c>ping</c> — for the idle timeout fails
/// with <see cref="TimeoutException"/>.
/// </summary>
internal sealed class AnthropicStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly Stream _body;
    private readonly TimeSpan _idleTimeout;
    private readonly CancellationTokenSource _cancel;
    private readonly IAsyncEnumerator<AnthropicEvent> _events;
    private volatile bool _cancelRequested;
    private int _disposed;

    public AnthropicStream(HttpResponseMessage response, Stream body, TimeSpan idleTimeout, TimeProvider clock)
    {
        _response = response;
        _body = body;
        _idleTimeout = idleTimeout;
        RequestId = AnthropicClient.RequestIdOf(response);
        // The clock's timer, so that tests can move time; it starts counting now.
        _cancel = new CancellationTokenSource(idleTimeout, clock);
        _events = AnthropicStreamReader.ReadAsync(new ActivityStream(body, this), _cancel.Token).GetAsyncEnumerator();
    }

    public string? RequestId { get; }

    public AnthropicEvent Current => _events.Current;

    /// <summary>The next event; false when the stream ended.</summary>
    /// <exception cref="OperationCanceledException">After <see cref="CancelAsync"/>.</exception>
    /// <exception cref="TimeoutException">Anthropic sent nothing for the idle timeout.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> MoveNextAsync()
    {
        try
        {
            return await _events.MoveNextAsync();
        }
        catch (OperationCanceledException) when (!_cancelRequested)
        {
            throw new TimeoutException($"Anthropic sent nothing for {_idleTimeout.TotalSeconds:0.#} s.");
        }
    }

    /// <summary>Waits for <c>message_start</c>, the event that opens every successful stream and carries the first usage.</summary>
    /// <exception cref="AnthropicApiException">The stream failed, ended or stayed silent before it.</exception>
    public async Task<MessageStarted> ReadStartAsync()
    {
        try
        {
            while (await MoveNextAsync())
            {
                switch (Current)
                {
                    case MessageStarted started:
                        return started;
                    case StreamError error:
                        throw new AnthropicApiException(500, error.ErrorType, error.Message, RequestId);
                }
            }

            throw new AnthropicApiException(502, "connection_error", "Anthropic ended the stream before the reply began.", RequestId);
        }
        catch (TimeoutException)
        {
            throw new AnthropicApiException(504, "timeout", "Anthropic did not begin the reply in time.", RequestId);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or System.Text.Json.JsonException)
        {
            throw new AnthropicApiException(502, "connection_error", "The connection to Anthropic failed as the reply began.", RequestId);
        }
    }

    /// <summary>Ends a pending or future read with <see cref="OperationCanceledException"/>; callbacks run off the caller's thread.</summary>
    public Task CancelAsync()
    {
        _cancelRequested = true;
        return _cancel.CancelAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await CancelAsync();
        await _events.DisposeAsync();
        await _body.DisposeAsync();
        _response.Dispose();
        // _cancel stays undisposed: a late CancelAsync (a stop as the reply ends) must find it usable.
    }

    /// <summary>Bytes arrived: the idle clock starts again.</summary>
    private void OnActivity()
    {
        if (!_cancelRequested)
        {
            _cancel.CancelAfter(_idleTimeout);
        }
    }

    /// <summary>The response body, telling its stream of every read that brought bytes.</summary>
    private sealed class ActivityStream(Stream inner, AnthropicStream owner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            var read = await inner.ReadAsync(buffer, ct);
            if (read > 0)
            {
                owner.OnActivity();
            }

            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read asynchronously.");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
