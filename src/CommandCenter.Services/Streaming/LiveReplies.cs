using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommandCenter.Services.Streaming;

/// <summary>
/// This instance's replies in flight, by message id: each runs here from its start write until it is recorded, whoever
/// watches it. A finished reply stays findable for the grace period, so a client that lost its connection can still read
/// the end; after that the stored message is the truth. On shutdown, live replies are ended and recorded.
/// </summary>
public sealed partial class LiveReplies(IOptions<StreamingOptions> options, TimeProvider clock, ILogger<LiveReplies> logger) : IHostedService
{
    private readonly ConcurrentDictionary<string, LiveReply> _byMessage = new();
    private readonly ConcurrentDictionary<string, LiveReply> _answering = new(); // by conversation, until finished
    private readonly CancellationTokenSource _abandonRecording = new();

    /// <summary>Raised with the owner's user id when one of their replies is stored as started, and when it finishes.</summary>
    public event Action<string>? Changed;

    /// <summary>The caller's reply with this message id, live or recently finished; another user's is never found.</summary>
    public LiveReply? Find(string ownerId, string messageId) =>
        _byMessage.TryGetValue(messageId, out var reply) && reply.OwnerId == ownerId ? reply : null;

    /// <summary>The reply this conversation is writing now, if any.</summary>
    public LiveReply? Answering(string ownerId, string conversationId) =>
        _answering.TryGetValue(conversationId, out var reply) && reply.OwnerId == ownerId ? reply : null;

    /// <summary>The caller's conversations with a reply being written.</summary>
    public IReadOnlySet<string> AnsweringConversations(string ownerId) =>
        _answering.Values.Where(r => r.OwnerId == ownerId).Select(r => r.ConversationId).ToHashSet();

    /// <summary>Cancelled when the server stops waiting for the database to record replies.</summary>
    internal CancellationToken RecordingAbandoned => _abandonRecording.Token;

    /// <summary>Takes the reply over and runs it to its end.</summary>
    internal void Run(LiveReply reply)
    {
        _byMessage[reply.MessageId] = reply;
        _answering[reply.ConversationId] = reply;
        _ = RunAsync(reply);
    }

    private async Task RunAsync(LiveReply reply)
    {
        // Off the caller's thread: the request or circuit that started the reply does not run it.
        await Task.Yield();
        try
        {
            _ = AnnounceWhenStoredAsync(reply);
            await reply.RunAsync(_abandonRecording.Token);
        }
        catch (Exception e)
        {
            LogReplyCrashed(logger, e, reply.Meta.TraceId);
        }
        finally
        {
            _answering.TryRemove(new KeyValuePair<string, LiveReply>(reply.ConversationId, reply));
            Changed?.Invoke(reply.OwnerId);
        }

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

        Changed?.Invoke(reply.OwnerId);
    }

    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Ends every live reply and waits for their records, until the host's shutdown timeout says to give up.</summary>
    public async Task StopAsync(CancellationToken ct)
    {
        var replies = _byMessage.Values.ToList();
        foreach (var reply in replies)
        {
            reply.Stop(ReplyStop.Shutdown);
        }

        await using (ct.Register(_abandonRecording.Cancel))
        {
            await Task.WhenAll(replies.Select(r => r.Finished));
        }

        await _abandonRecording.CancelAsync();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reply {MessageId}: its events are no longer kept; the stored message is the record")]
    private static partial void LogForgotten(ILogger logger, string messageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Trace {TraceId}: the reply ended unexpectedly")]
    private static partial void LogReplyCrashed(ILogger logger, Exception exception, string traceId);
}
