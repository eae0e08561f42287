using CommandCenter.Services.Streaming;

namespace CommandCenter.Web.Chat;

/// <summary>
/// The reply a page shows as it is written, one at a time, each followed with a switch of its own that detaches the
/// page (the reply goes on); and every reply the page started or followed, kept going until it ends or the page closes:
/// looking at another conversation is not leaving (the grace period is for replies nobody has open).
/// </summary>
internal sealed class ReplyFollower : IDisposable
{
    private readonly List<IDisposable> _kept = [];
    private Following? _current;
    private bool _disposed;

    /// <summary>The reply being followed, once it has started.</summary>
    public LiveReply? Followed => _current?.Reply;

    /// <summary>Follows a reply about to start (or found): leaving before it has started detaches from it too.</summary>
    public Following Begin()
    {
        Detach();
        return _current = new Following();
    }

    /// <summary>The page stops showing <paramref name="following"/>'s reply as it is written (it has ended), unless a later follow took over.</summary>
    public bool End(Following following)
    {
        if (_current != following)
        {
            return false;
        }

        _current = null;
        return true;
    }

    /// <summary>Stops showing the followed reply; it goes on, and its conversation shows it when opened again.</summary>
    public void Detach()
    {
        _current?.SwitchOff();
        _current = null;
    }

    /// <summary>Keeps <paramref name="live"/> going until it ends or the page closes.</summary>
    public void Keep(LiveReply live)
    {
        var keeper = live.Keep();
        lock (_kept)
        {
            if (_disposed)
            {
                keeper.Dispose();
                return;
            }

            _kept.Add(keeper);
        }

        // Released as the reply ends, so a long-open page holds no finished reply's events.
        _ = live.Finished.ContinueWith(_ => Release(keeper), TaskScheduler.Default);
    }

    private void Release(IDisposable keeper)
    {
        lock (_kept)
        {
            _kept.Remove(keeper);
        }

        keeper.Dispose();
    }

    public void Dispose()
    {
        IDisposable[] released;
        lock (_kept)
        {
            _disposed = true;
            released = [.. _kept];
            _kept.Clear();
        }

        Detach();
        foreach (var keeper in released)
        {
            // The page is closed: from here the grace period decides, as for any reply nobody watches.
            keeper.Dispose();
        }
    }

    /// <summary>One reply followed by the page, and the switch that stops following it.</summary>
    internal sealed class Following
    {
        // Not disposed: it has no timer, and a follow that is still reading may look at it after the switch.
        private readonly CancellationTokenSource _switch = new();

        public LiveReply? Reply { get; set; }

        public CancellationToken Token => _switch.Token;

        public bool SwitchedOff => _switch.IsCancellationRequested;

        public void SwitchOff() => _switch.Cancel();
    }
}
