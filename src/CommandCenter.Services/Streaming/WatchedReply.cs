using CommandCenter.Services.Conversations;

namespace CommandCenter.Services.Streaming;

/// <summary>A reply as a client follows or stops it, whichever instance runs it.</summary>
public interface IWatchedReply
{
    /// <summary>Its events after number <paramref name="after"/>, then the rest live; null when no instance has it any more.</summary>
    Task<ReplyWatch?> WatchAsync(long after, CancellationToken ct);

    /// <summary>Stops it and waits a little for its end to be recorded; null when no instance has it any more.</summary>
    Task<ReplyStopped?> StopAsync(CancellationToken ct);
}

/// <summary>A reply's events as one watcher reads them.</summary>
/// <param name="LastEventId">The number of its last event when the watch began.</param>
/// <param name="Owner">Ends the watch if <paramref name="Events"/> is not read to its end (the client left first); null when nothing needs ending.</param>
public sealed record ReplyWatch(long LastEventId, IAsyncEnumerable<ReplyEvent> Events, IAsyncDisposable? Owner);

/// <summary>How a stop went.</summary>
/// <param name="Status">The reply message's status when the stop was answered.</param>
/// <param name="AlreadyEnded">The reply had ended before the stop arrived.</param>
/// <param name="Finished">The reply's end is recorded.</param>
public sealed record ReplyStopped(string Status, bool AlreadyEnded, bool Finished);

/// <summary>
/// The one way to find a reply to follow or stop: live on this instance, or, when its message is stored as streaming
/// (or not stored yet: its client may have heard of it first), on another (<see cref="ReplyRelay"/>).
/// </summary>
public sealed class WatchedReplies(LiveReplies live, ReplyRelay relay, ConversationStore conversations)
{
    /// <summary>The caller's reply with this message id, wherever it may run; null when it is not live anywhere (or not theirs).</summary>
    public async Task<IWatchedReply?> FindAsync(string ownerId, string messageId, CancellationToken ct)
    {
        if (live.Find(ownerId, messageId) is { } here)
        {
            return new Here(here);
        }

        return await conversations.FindMessageAsync(ownerId, messageId, ct) is null or { Status: MessageStatus.Streaming }
            ? new Elsewhere(relay, ownerId, messageId)
            : null;
    }

    private sealed class Here(LiveReply reply) : IWatchedReply
    {
        public Task<ReplyWatch?> WatchAsync(long after, CancellationToken ct) =>
            Task.FromResult<ReplyWatch?>(new ReplyWatch(reply.LastEventId, reply.WatchAsync(after), null));

        public async Task<ReplyStopped?> StopAsync(CancellationToken ct) => await reply.StopAndWaitAsync(ct);
    }

    private sealed class Elsewhere(ReplyRelay relay, string ownerId, string messageId) : IWatchedReply
    {
        public async Task<ReplyWatch?> WatchAsync(long after, CancellationToken ct) =>
            await relay.WatchAsync(ownerId, messageId, after, ct) is { } remote ? new ReplyWatch(remote.LastEventId, remote.Events, remote) : null;

        public Task<ReplyStopped?> StopAsync(CancellationToken ct) => relay.StopAsync(ownerId, messageId, ct);
    }
}
