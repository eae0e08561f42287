namespace CommandCenter.Unit.Services;

/// <summary>
/// A read-only stream that hands out its bytes in the chunk sizes given, as a network stream does,
/// so a parser sees lines, CRLF pairs and UTF-8 sequences split at arbitrary points.
/// After the sizes run out, the rest comes in one read.
/// </summary>
internal sealed class ChunkedStream(byte[] data, IEnumerable<int> chunkSizes) : Stream
{
    private readonly IEnumerator<int> _sizes = chunkSizes.GetEnumerator();
    private int _position;
    private int _chunkLeft;

    public int Reads { get; private set; }

    /// <summary>At most <paramref name="maxBytesPerRead"/> bytes per read.</summary>
    public static ChunkedStream AtMost(byte[] data, int maxBytesPerRead) =>
        new(data, Enumerable.Repeat(maxBytesPerRead, (data.Length / maxBytesPerRead) + 1));

    /// <summary>Chunks of random sizes between 1 and <paramref name="maxChunk"/>, reproducible by seed.</summary>
    public static ChunkedStream RandomlySplit(byte[] data, int seed, int maxChunk)
    {
        var rng = new Random(seed);
        return new(data, Enumerable.Range(0, data.Length).Select(_ => rng.Next(1, maxChunk + 1)).ToArray());
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty || _position == data.Length)
        {
            return 0;
        }

        if (_chunkLeft == 0)
        {
            _chunkLeft = _sizes.MoveNext() ? Math.Max(1, _sizes.Current) : data.Length - _position;
        }

        var n = Math.Min(Math.Min(buffer.Length, _chunkLeft), data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        _chunkLeft -= n;
        Reads++;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // Complete asynchronously now and then, as a socket does.
        if (Reads % 7 == 3)
        {
            await Task.Yield();
        }

        cancellationToken.ThrowIfCancellationRequested();
        return Read(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

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
            _sizes.Dispose();
        }

        base.Dispose(disposing);
    }
}
