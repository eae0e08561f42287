using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommandCenter.Services.Streaming;

/// <summary>
/// This instance's replies in flight, by message id: each runs here from its start until it is recorded, whoever
/// watches it. A finished reply stays findable for the grace period, so a client that lost its connection can still read
/// the end; after that the stored message is the truth. On shutdown — before the web server stops — new replies are
/// refused, live ones get the drain timeout to finish, and the rest are ended as failed and recorded.
/// </summary>
public sealed partial class LiveReplies(IOptions<StreamingOptions> options, IOptions<ShutdownOptions> shutdown, TimeProvider clock, ILogger<LiveReplies> logger)
    : IHostedLifecycleService
{
    private readonly ConcurrentDictionary<string, LiveReply> _byMessage = new();
    private readonly ConcurrentDictionary<string, Reservation> _answering = new(); // by conversation, from reservation until finished
    private readonly Lock _reserving = new();
    private readonly HashSet<Reservation> _reservations = []; // from Reserve to Release; under _reserving
    private readonly Dictionary<string, int> _liveByOwner = []; // the same, counted per user; under _reserving
    private readonly CancellationTokenSource _abandonRecording = new();
    private volatile bool _draining;

    /// <summary>Raised with the owner's user id when one of their replies is stored as started, and when it finishes.</summary>
    public event Action<string>? Changed;

    /// <summary>True once the server is shutting down: no new reply may start.</summary>
    public bool IsDraining => _draining;

    /// <summary>The caller's reply with this message id, live or recently finished; another user's is never found.</summary>
    public LiveReply? Find(string ownerId, string messageId) =>
        _byMessage.TryGetValue(messageId, out var reply) && reply.OwnerId == ownerId ? reply : null;

    /// <summary>The reply this conversation is writing now, if any.</summary>
    public LiveReply? Answering(string ownerId, string conversationId) =>
        _answering.TryGetValue(conversationId, out var answer) && answer.OwnerId == ownerId ? answer.Reply : null;

    /// <summary>The caller's conversations with a reply being written.</summary>
    public IReadOnlySet<string> AnsweringConversations(string ownerId) =>
        _answering.Where(a => a.Value.OwnerId == ownerId && a.Value.Reply is not null).Select(a => a.Key).ToHashSet();

    /// <summary>
    /// Claims, before Anthropic is called, one of the owner's <paramref name="maxLivePerOwner"/> live replies and the
    /// conversation (when it exists already), so that neither a burst nor two tabs at once can overshoot.
    /// Disposed, it is given back (<see cref="Release"/>): by the starter when the reply never runs, else by the reply as it ends.
    /// </summary>
    /// <exception cref="StreamStartException">Too many live replies, or the conversation is answering already.</exception>
    internal Reservation Reserve(string ownerId, string? conversationId, int maxLivePerOwner)
    {
        lock (_reserving)
        {
            var live = _liveByOwner.GetValueOrDefault(ownerId);
            if (live >= maxLivePerOwner)
            {
                throw new StreamStartException(StreamStartFailure.RateLimited, $"You already have {live} replies being written; wait for one to finish.")
                {
                    RetryAfter = TimeSpan.FromSeconds(5),
                };
            }

            var reservation = new Reservation(this, ownerId, conversationId);
            if (conversationId is not null && !_answering.TryAdd(conversationId, reservation))
            {
                throw StreamStartException.ConversationBusy();
            }

            _liveByOwner[ownerId] = live + 1;
            _reservations.Add(reservation);
            return reservation;
        }
    }

    /// <summary>Gives back a reservation (<see cref="Reservation.Dispose"/>): its reply never started, or is ending. Once only, however often called.</summary>
    internal void Release(Reservation reservation)
    {
        lock (_reserving)
        {
            if (reservation.Released)
            {
                return;
            }

            reservation.Released = true;
            _reservations.Remove(reservation);
            if (reservation.ConversationId is { } conversationId)
            {
                _answering.TryRemove(new KeyValuePair<string, Reservation>(conversationId, reservation));
            }

            if (_liveByOwner.GetValueOrDefault(reservation.OwnerId) is var live and > 1)
            {
                _liveByOwner[reservation.OwnerId] = live - 1;
            }
            else
            {
                _liveByOwner.Remove(reservation.OwnerId);
            }
        }
    }

    /// <summary>Ends every reply of one user (whose account was disabled, say): those live, and those still being started.</summary>
    public void StopAll(string ownerId, ReplyStop reason)
    {
        List<LiveReply> live;
        lock (_reserving)
        {
            foreach (var reservation in _reservations.Where(r => r.OwnerId == ownerId))
            {
                reservation.StopOnStart ??= reason;
            }

            live = [.. _reservations.Where(r => r.OwnerId == ownerId && r.Reply is not null).Select(r => r.Reply!)];
        }

        foreach (var reply in live)
        {
            reply.Stop(reason);
        }
    }

    /// <summary>Cancelled when the server stops waiting for the database to record replies.</summary>
    internal CancellationToken RecordingAbandoned => _abandonRecording.Token;

    /// <summary>Runs the reply to its end, findable by its message id until the grace period after that.</summary>
    internal void Run(LiveReply reply)
    {
        var reservation = reply.Reservation;
        ReplyStop? stop;
        lock (_reserving)
        {
            reservation.Reply = reply;
            stop = reservation.StopOnStart;
            if (reservation.ConversationId is null)
            {
                // A new conversation: its id exists only now, and no other reply can know it yet.
                reservation.ConversationId = reply.ConversationId;
                _answering.TryAdd(reply.ConversationId, reservation);
            }
        }

        _byMessage[reply.MessageId] = reply;
        _ = RunAsync(reply);
        if (stop is { } reason)
        {
            reply.Stop(reason);
        }
    }

    private async Task RunAsync(LiveReply reply)
    {
        _ = AnnounceWhenStoredAsync(reply);
        await reply.RunAsync(_abandonRecording.Token);
        Announce(reply.OwnerId);

        // Kept a while for clients that come back for the end; the Task.Delay is cancelled only by shutdown.
        await Task.Delay(options.Value.UnwatchedGrace, clock, _abandonRecording.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _byMessage.TryRemove(new KeyValuePair<string, LiveReply>(reply.MessageId, reply));
        LogForgotten(logger, reply.MessageId);
    }

    /// <summary>Told once the conversation and the reply are stored, so that whoever loads them then finds them.</summary>
    private async Task AnnounceWhenStoredAsync(LiveReply reply)
    {
        try
        {
            await reply.StartRecorded;
        }
        catch (Exception e) when (e is StreamStartException or OperationCanceledException)
        {
            return; // The reply ends with the reason, and is announced then.
        }

        Announce(reply.OwnerId);
    }

    private void Announce(string ownerId)
    {
        foreach (var handler in Changed?.GetInvocationList() ?? [])
        {
            try
            {
                ((Action<string>)handler)(ownerId);
            }
            catch (Exception e)
            {
                LogSubscriberFailed(logger, e);
            }
        }
    }

    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

    public Task StartingAsync(CancellationToken ct) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// Runs before any hosted service stops, the web server included: refuse new replies, let live ones finish within the
    /// drain timeout, end the rest, and wait for their records until the host's shutdown timeout says to give up.
    /// </summary>
    public async Task StoppingAsync(CancellationToken ct)
    {
        _draining = true;
        var live = _byMessage.Values.Where(r => !r.IsFinished).ToList();
        LogDraining(logger, live.Count, shutdown.Value.DrainTimeout);
        await Task.WhenAll(live.Select(r => r.Finished)).WaitAsync(shutdown.Value.DrainTimeout, clock, ct)
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        // Replies that started while the first ones drained are ended too.
        live = _byMessage.Values.Where(r => !r.IsFinished).ToList();
        foreach (var reply in live)
        {
            reply.Stop(ReplyStop.Shutdown);
        }

        await using (ct.Register(_abandonRecording.Cancel))
        {
            await Task.WhenAll(live.Select(r => r.Finished));
        }
    }

    public Task StopAsync(CancellationToken ct) => _abandonRecording.CancelAsync();

    public Task StoppedAsync(CancellationToken ct) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: {Count} live replies get {DrainTimeout} to finish; new ones are refused")]
    private static partial void LogDraining(ILogger logger, int count, TimeSpan drainTimeout);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reply {MessageId}: its events are no longer kept; the stored message is the record")]
    private static partial void LogForgotten(ILogger logger, string messageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "A subscriber to reply changes failed")]
    private static partial void LogSubscriberFailed(ILogger logger, Exception exception);
}
