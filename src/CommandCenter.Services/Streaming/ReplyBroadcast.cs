using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace CommandCenter.Services.Streaming;

/// <summary>
/// A reply's events, numbered and kept, told to whoever watches: pages and SSE responses, any number of them, attach
/// from any point (<see cref="WatchAsync"/>) and detach freely. A page that started or followed the reply
/// <see cref="Keep"/>s it while open. When nobody watches or keeps it for the grace period, <paramref name="unwatched"/> is
/// called, once per such period.
/// </summary>
internal sealed class ReplyBroadcast
{
    private readonly Lock _gate = new();
    private readonly List<StreamEvent> _events = []; // event N is _events[N - 1]
    private readonly List<ChannelWriter<ReplyEvent>> _watchers = [];
    private readonly TimeProvider _clock;
    private readonly TimeSpan _grace;
    private readonly Action _unwatched;
    private int _keepers;
    private bool _closed;
    private ITimer? _graceTimer;
    private long _graceTimerGeneration;

    public ReplyBroadcast(MetaEvent meta, TimeProvider clock, TimeSpan grace, Action unwatched)
    {
        _events.Add(meta);
        _clock = clock;
        _grace = grace;
        _unwatched = unwatched;
        lock (_gate)
        {
            // Nobody watches yet: whoever started the reply attaches next, or the grace period ends it.
            ArmGraceTimer();
        }
    }

    public TimeSpan Grace => _grace;

    /// <summary>The number of the last event so far.</summary>
    public long LastEventId
    {
        get
        {
            lock (_gate)
            {
                return _events.Count;
            }
        }
    }

    /// <summary>
    /// The events after number <paramref name="after"/>: first those already told, then each new one as it comes, until
    /// the last. Ending the enumeration (or cancelling <paramref name="ct"/>) only detaches.
    /// </summary>
    public async IAsyncEnumerable<ReplyEvent> WatchAsync(long after = 0, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(after);
        var channel = Channel.CreateUnbounded<ReplyEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        lock (_gate)
        {
            for (var i = (int)Math.Min(after, _events.Count); i < _events.Count; i++)
            {
                channel.Writer.TryWrite(new ReplyEvent(i + 1, _events[i]));
            }

            if (_closed)
            {
                channel.Writer.TryComplete();
            }
            else
            {
                _watchers.Add(channel.Writer);
                DisarmGraceTimer();
            }
        }

        try
        {
            while (await channel.Reader.WaitToReadAsync(ct))
            {
                while (channel.Reader.TryRead(out var e))
                {
                    yield return e;
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                if (_watchers.Remove(channel.Writer))
                {
                    ArmGraceTimerIfNobodyLeft();
                }
            }
        }
    }

    /// <summary>Holds the reply as watched while the returned handle lives, whether or not anything is read.</summary>
    public IDisposable Keep()
    {
        lock (_gate)
        {
            _keepers++;
            DisarmGraceTimer();
        }

        return new Keeper(this);
    }

    private sealed class Keeper(ReplyBroadcast broadcast) : IDisposable
    {
        private ReplyBroadcast? _broadcast = broadcast;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _broadcast, null) is { } broadcast)
            {
                lock (broadcast._gate)
                {
                    broadcast._keepers--;
                    broadcast.ArmGraceTimerIfNobodyLeft();
                }
            }
        }
    }

    /// <summary>Numbers <paramref name="e"/> and tells it to every watcher.</summary>
    public void Tell(StreamEvent e)
    {
        lock (_gate)
        {
            TellLocked(e);
        }
    }

    /// <summary>Tells the last events and lets every watcher finish; once only.</summary>
    public void Close(params ReadOnlySpan<StreamEvent> last)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            foreach (var e in last)
            {
                TellLocked(e);
            }

            _closed = true;
            foreach (var watcher in _watchers)
            {
                watcher.TryComplete();
            }

            _watchers.Clear();
            DisarmGraceTimer();
        }
    }

    private void TellLocked(StreamEvent e)
    {
        _events.Add(e);
        var numbered = new ReplyEvent(_events.Count, e);
        foreach (var watcher in _watchers)
        {
            watcher.TryWrite(numbered);
        }
    }

    private void ArmGraceTimerIfNobodyLeft()
    {
        if (_watchers.Count == 0 && _keepers == 0 && !_closed)
        {
            ArmGraceTimer();
        }
    }

    private void ArmGraceTimer()
    {
        if (_graceTimer is null)
        {
            var state = new GraceTimerState(this, ++_graceTimerGeneration);
            _graceTimer = _clock.CreateTimer(static state => ((GraceTimerState)state!).Fire(), state, _grace, Timeout.InfiniteTimeSpan);
        }
    }

    private void DisarmGraceTimer()
    {
        _graceTimer?.Dispose();
        _graceTimer = null;
    }

    /// <summary>The grace timer's callback; a timer replaced since (a watcher came, and went again) has no say.</summary>
    private void GraceRanOut(long generation)
    {
        lock (_gate)
        {
            if (generation != _graceTimerGeneration || _graceTimer is null || _watchers.Count > 0 || _keepers > 0 || _closed)
            {
                return;
            }
        }

        _unwatched();
    }

    private sealed record GraceTimerState(ReplyBroadcast Broadcast, long Generation)
    {
        public void Fire() => Broadcast.GraceRanOut(Generation);
    }
}
