using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using CommandCenter.Services.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CommandCenter.Services.Streaming;

/// <summary>A reply running on another instance, as this one follows it.</summary>
/// <param name="LastEventId">The number of its last event when the instance running it answered.</param>
/// <param name="Events">The events after the one asked for, then the rest live; they end with the reply, or when that instance goes quiet.</param>
/// <param name="Abandon">Stops the relay if <paramref name="Events"/> is never read to its end (the client left first); harmless after.</param>
public sealed record RemoteReply(long LastEventId, IAsyncEnumerable<ReplyEvent> Events, Func<ValueTask> Abandon) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Abandon();
}

/// <summary>
/// Lets a client follow or stop a reply through any instance, not only the one running it: the request is sent to every
/// instance with a NOTIFY, the one that has the reply answers, and relays its events the same way, in order, each with
/// its number. No second upstream call and no gap: the relay is one more watcher of the reply where it runs.
/// The relaying instance pings while the reply is silent; a follower that hears nothing for three heartbeats (that
/// instance died) or that lost its listening connection ends the stream, and the client resumes with <c>Last-Event-ID</c>.
/// </summary>
public sealed partial class ReplyRelay(
    LiveReplies live, IDbContextFactory<CommandCenterDbContext> dbFactory, IOptions<StreamingOptions> options, ILogger<ReplyRelay> logger)
    : IDatabaseNotifications
{
    /// <summary>How long a request waits for the instance running the reply to answer before deciding nobody does.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(2);

    // NOTIFY payloads must stay under 8,000 bytes: an event's JSON longer than this is sent in pieces. Its JSON is ASCII
    // (non-ASCII is escaped), and escaped once more inside the notification at most six bytes a character.
    private const int PieceLength = 1000;

    private readonly ConcurrentDictionary<string, Channel<RelayMessage>> _answers = new(); // requests of ours, by request id
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _relays = new(); // relays we run, by request id

    public string Channel => "reply_relay";

    /// <summary>Follows a reply that is not live here from event <paramref name="after"/>; null if no instance has it.</summary>
    public async Task<RemoteReply?> WatchAsync(string ownerId, string messageId, long after, CancellationToken ct)
    {
        var request = NewRequest(out var answers);
        try
        {
            await SendAsync(new RelayMessage(RelayKind.Watch, request) { OwnerId = ownerId, MessageId = messageId, After = after }, ct);
            if (await FirstAnswerAsync(answers, ct) is not { Kind: RelayKind.Accept } accepted)
            {
                // Nobody has it; or its instance answers too late, and is told to stop.
                await AbandonAsync(request);
                return null;
            }

            if (after > accepted.LastEventId)
            {
                // Nothing is relayed for an event that does not exist yet; the caller refuses the request.
                _answers.TryRemove(request, out _);
                return new RemoteReply(accepted.LastEventId, AsyncEnumerable.Empty<ReplyEvent>(), () => ValueTask.CompletedTask);
            }

            return new RemoteReply(accepted.LastEventId, FollowAsync(request, answers), () => AbandonAsync(request));
        }
        catch
        {
            _answers.TryRemove(request, out _);
            throw;
        }
    }

    /// <summary>Stops a reply that is not live here; null if no instance has it.</summary>
    public async Task<ReplyStopped?> StopAsync(string ownerId, string messageId, CancellationToken ct)
    {
        var request = NewRequest(out var answers);
        try
        {
            await SendAsync(new RelayMessage(RelayKind.Stop, request) { OwnerId = ownerId, MessageId = messageId }, ct);
            if (await FirstAnswerAsync(answers, ct) is not { Kind: RelayKind.Accept })
            {
                return null;
            }

            // Accepted: the instance stops it now and answers once its end is recorded, or when it gives up waiting.
            try
            {
                var answer = await answers.Reader.ReadAsync(ct).AsTask().WaitAsync(LiveReply.StopWait + AnswerTimeout, ct);
                return new ReplyStopped(answer.Status ?? "", answer.Kind == RelayKind.Ended, answer.Kind == RelayKind.Stopped && !answer.More);
            }
            catch (Exception e) when (e is TimeoutException or ChannelClosedException)
            {
                return new ReplyStopped(Conversations.MessageStatus.Streaming, AlreadyEnded: false, Finished: false);
            }
        }
        finally
        {
            _answers.TryRemove(request, out _);
        }
    }

    private string NewRequest(out Channel<RelayMessage> answers)
    {
        var request = Guid.NewGuid().ToString("N");
        answers = System.Threading.Channels.Channel.CreateUnbounded<RelayMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _answers[request] = answers;
        return request;
    }

    private static async Task<RelayMessage?> FirstAnswerAsync(Channel<RelayMessage> answers, CancellationToken ct)
    {
        try
        {
            return await answers.Reader.ReadAsync(ct).AsTask().WaitAsync(AnswerTimeout, ct);
        }
        catch (Exception e) when (e is TimeoutException or ChannelClosedException)
        {
            return null;
        }
    }

    private async IAsyncEnumerable<ReplyEvent> FollowAsync(string request, Channel<RelayMessage> answers, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var quiet = options.Value.HeartbeatInterval * 3;
        var ended = false;
        var pieces = new System.Text.StringBuilder();
        try
        {
            while (!ended)
            {
                RelayMessage message;
                try
                {
                    message = await answers.Reader.ReadAsync(ct).AsTask().WaitAsync(quiet, ct);
                }
                catch (Exception e) when (e is TimeoutException or ChannelClosedException)
                {
                    LogRelayLost(logger, request);
                    yield break;
                }

                switch (message.Kind)
                {
                    case RelayKind.Event:
                        pieces.Append(message.Data);
                        if (message.More)
                        {
                            continue;
                        }

                        var type = StreamEventNames.TypeOf(message.Event ?? "") ?? throw new JsonException($"Unknown relayed event {message.Event}.");
                        var e = (StreamEvent)JsonSerializer.Deserialize(pieces.ToString(), type, StreamEventJsonContext.Default)!;
                        pieces.Clear();
                        yield return new ReplyEvent(message.Id, e);
                        break;
                    case RelayKind.End:
                        ended = true;
                        break;
                }
            }
        }
        finally
        {
            if (ended)
            {
                _answers.TryRemove(request, out _);
            }
            else
            {
                // The client left first: the instance running the reply stops relaying (the reply goes on).
                await AbandonAsync(request);
            }
        }
    }

    /// <summary>Forgets a request of ours and tells the instance relaying it to stop; once only.</summary>
    private async ValueTask AbandonAsync(string request)
    {
        if (_answers.TryRemove(request, out _))
        {
            await SendQuietlyAsync(new RelayMessage(RelayKind.Unwatch, request));
        }
    }

    void IDatabaseNotifications.OnNotification(string payload)
    {
        var message = JsonSerializer.Deserialize(payload, RelayJsonContext.Default.RelayMessage)!;
        switch (message.Kind)
        {
            case RelayKind.Watch when live.Find(message.OwnerId!, message.MessageId!) is { } reply:
                var stop = new CancellationTokenSource();
                _relays[message.Request] = stop;
                _ = RelayAsync(message.Request, reply, message.After, stop);
                break;
            case RelayKind.Stop when live.Find(message.OwnerId!, message.MessageId!) is { } reply:
                _ = StopHereAsync(message.Request, reply);
                break;
            case RelayKind.Unwatch when _relays.TryRemove(message.Request, out var relay):
                relay.Cancel();
                break;
            case RelayKind.Accept or RelayKind.Event or RelayKind.Ping or RelayKind.End or RelayKind.Stopped or RelayKind.Ended
                when _answers.TryGetValue(message.Request, out var answers):
                answers.Writer.TryWrite(message);
                break;
        }
    }

    /// <summary>Whatever was relayed meanwhile is lost: every follower ends, and its client resumes from its last event.</summary>
    void IDatabaseNotifications.OnMissed()
    {
        foreach (var answers in _answers.Values)
        {
            answers.Writer.TryComplete();
        }
    }

    /// <summary>Sends one watcher's view of a reply running here, on one connection so that its notifications stay in order.</summary>
    private async Task RelayAsync(string request, LiveReply reply, long after, CancellationTokenSource stop)
    {
        // Not disposed: an unwatch may cancel it at any moment, and it holds no timer.
        var ct = stop.Token;
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await db.Database.OpenConnectionAsync(ct);
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            var last = reply.LastEventId;
            await SendAsync(connection, new RelayMessage(RelayKind.Accept, request) { LastEventId = last }, ct);
            if (after > last)
            {
                return; // The follower refuses the request: there is no such event yet.
            }

            LogRelaying(logger, reply.MessageId, after);
            var events = reply.WatchAsync(after, ct).GetAsyncEnumerator(ct);
            Task<bool>? next = null;
            try
            {
                while (true)
                {
                    next = events.MoveNextAsync().AsTask();
                    if (!await PingWhileSilentAsync(next, connection, request, ct))
                    {
                        break;
                    }

                    var (id, e) = events.Current;
                    var name = StreamEventNames.Of(e);
                    var json = JsonSerializer.Serialize(e, e.GetType(), StreamEventJsonContext.Default);
                    for (var start = 0; start == 0 || start < json.Length; start += PieceLength)
                    {
                        var piece = json.Substring(start, Math.Min(PieceLength, json.Length - start));
                        await SendAsync(connection, new RelayMessage(RelayKind.Event, request) { Id = id, Event = name, Data = piece, More = start + PieceLength < json.Length }, ct);
                    }
                }
            }
            finally
            {
                if (next is { IsCompleted: false })
                {
                    // A send failed while the reply was silent: stop watching before the enumerator is disposed.
                    await stop.CancelAsync();
                    await ((Task)next).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                await events.DisposeAsync();
            }

            await SendAsync(connection, new RelayMessage(RelayKind.End, request), ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The follower left.
        }
        catch (Exception e)
        {
            // The follower hears nothing more and ends its stream; its client resumes.
            LogRelayFailed(logger, reply.MessageId, e);
        }
        finally
        {
            _relays.TryRemove(new KeyValuePair<string, CancellationTokenSource>(request, stop));
        }
    }

    /// <summary>The next event's arrival; a ping each heartbeat until then, so the follower knows this instance is alive.</summary>
    private async Task<bool> PingWhileSilentAsync(Task<bool> next, NpgsqlConnection connection, string request, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return await next.WaitAsync(options.Value.HeartbeatInterval, ct);
            }
            catch (TimeoutException)
            {
                await SendAsync(connection, new RelayMessage(RelayKind.Ping, request), ct);
            }
        }
    }

    private async Task StopHereAsync(string request, LiveReply reply)
    {
        try
        {
            await SendAsync(new RelayMessage(RelayKind.Accept, request), CancellationToken.None);
            var stopped = await reply.StopAndWaitAsync(CancellationToken.None);
            await SendAsync(stopped.AlreadyEnded
                ? new RelayMessage(RelayKind.Ended, request) { Status = stopped.Status }
                : new RelayMessage(RelayKind.Stopped, request) { Status = stopped.Status, More = !stopped.Finished }, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogRelayFailed(logger, reply.MessageId, e);
        }
    }

    private async Task SendAsync(RelayMessage message, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        await SendAsync((NpgsqlConnection)db.Database.GetDbConnection(), message, ct);
    }

    private async ValueTask SendQuietlyAsync(RelayMessage message)
    {
        try
        {
            await SendAsync(message, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogSendFailed(logger, message.Kind, e);
        }
    }

    private async Task SendAsync(NpgsqlConnection connection, RelayMessage message, CancellationToken ct)
    {
        await using var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection)
        {
            Parameters = { new() { Value = Channel }, new() { Value = JsonSerializer.Serialize(message, RelayJsonContext.Default.RelayMessage) } },
        };
        await notify.ExecuteNonQueryAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reply {MessageId} is followed from another instance, after event {After}")]
    private static partial void LogRelaying(ILogger logger, string messageId, long after);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Relaying reply {MessageId} to another instance failed")]
    private static partial void LogRelayFailed(ILogger logger, string messageId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell the other instances: {Kind}")]
    private static partial void LogSendFailed(ILogger logger, RelayKind kind, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Relay {Request}: the instance running the reply went quiet; the stream ends and its client can resume")]
    private static partial void LogRelayLost(ILogger logger, string request);
}

internal enum RelayKind
{
    Watch,
    Stop,
    Unwatch,
    Accept,
    Event,
    Ping,
    End,
    Stopped,
    Ended,
}

/// <summary>One notification on the relay channel: a request (watch, stop, unwatch) or an answer to one, by request id.</summary>
/// <param name="More">On an event: more pieces of its JSON follow. On <see cref="RelayKind.Stopped"/>: its end is not recorded yet.</param>
internal sealed record RelayMessage(RelayKind Kind, string Request)
{
    public string? OwnerId { get; init; }
    public string? MessageId { get; init; }
    public long After { get; init; }
    public long LastEventId { get; init; }
    public long Id { get; init; }
    public string? Event { get; init; }
    public string? Data { get; init; }
    public bool More { get; init; }
    public string? Status { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault, UseStringEnumConverter = true)]
[JsonSerializable(typeof(RelayMessage))]
internal sealed partial class RelayJsonContext : JsonSerializerContext;
