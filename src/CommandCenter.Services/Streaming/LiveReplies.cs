using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommandCenter.Services.Streaming;

public sealed class ShutdownOptions
{
    public const string Section = "Shutdown";

    /// <summary>On shutdown, how long live replies may run on to their end before they are ended with an error.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

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
    private readonly ConcurrentDictionary<string, Answer> _answering = new(); // by conversation, from reservation until finished
    private readonly CancellationTokenSource _abandonRecording = new();
    private volatile bool _draining;

    /// <summary>A conversation's reply, from before Anthropic is called (<see cref="Reply"/> still null) until it finishes.</summary>
    private sealed class Answer(string ownerId)
    {
        public string OwnerId { get; } = ownerId;
        public LiveReply? Reply { get; set; }
    }

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

    /// <summary>Claims the conversation for one new reply; false while another is being written. Released by <see cref="Run"/>'s end or <see cref="Release"/>.</summary>
    internal bool TryReserve(string ownerId, string conversationId) => _answering.TryAdd(conversationId, new Answer(ownerId));

    /// <summary>Gives back a reservation whose reply never started.</summary>
    internal void Release(string conversationId)
    {
        if (_answering.TryGetValue(conversationId, out var answer) && answer.Reply is null)
        {
            _answering.TryRemove(new KeyValuePair<string, Answer>(conversationId, answer));
        }
    }

    /// <summary>Cancelled when the server stops waiting for the database to record replies.</summary>
    internal CancellationToken RecordingAbandoned => _abandonRecording.Token;

    /// <summary>Takes the reply over and runs it to its end; its conversation is reserved already unless it is new.</summary>
    internal void Run(LiveReply reply)
    {
        _byMessage[reply.MessageId] = reply;
        _answering.GetOrAdd(reply.ConversationId, _ => new Answer(reply.OwnerId)).Reply = reply;
        _ = RunAsync(reply);
    }

    private async Task RunAsync(LiveReply reply)
    {
        // Off the caller's thread: the request or circuit that started the reply does not run it.
        await Task.Yield();
        _ = AnnounceWhenStoredAsync(reply);
        await reply.RunAsync(_abandonRecording.Token);
        if (_answering.TryGetValue(reply.ConversationId, out var answer) && answer.Reply == reply)
        {
            _answering.TryRemove(new KeyValuePair<string, Answer>(reply.ConversationId, answer));
        }

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
