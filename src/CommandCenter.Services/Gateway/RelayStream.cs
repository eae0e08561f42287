namespace CommandCenter.Services.Gateway;

/// <summary>The gateway's client went away mid-reply: the upstream call is closed and the reply billed for what it generated.</summary>
internal sealed class ClientGoneException() : Exception("The client went away before the reply was complete.");

/// <summary>
/// Anthropic's response body as the gateway reads it: every chunk is written on to the client, and flushed, before it is
/// parsed, so the client gets Anthropic's bytes unchanged and as they arrive. The client leaving (a failed write, or
/// <paramref name="clientGone"/>) ends the read with <see cref="ClientGoneException"/>.
/// </summary>
internal sealed class RelayStream(Stream upstream, Stream client, CancellationToken clientGone) : Stream
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

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, clientGone);
        int read;
        try
        {
            read = await upstream.ReadAsync(buffer, either.Token);
        }
        catch (OperationCanceledException) when (clientGone.IsCancellationRequested)
        {
            throw new ClientGoneException();
        }

        if (read > 0)
        {
            try
            {
                await client.WriteAsync(buffer[..read], clientGone);
                await client.FlushAsync(clientGone);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                throw new ClientGoneException();
            }
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

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            upstream.Dispose();
        }

        base.Dispose(disposing);
    }
}
