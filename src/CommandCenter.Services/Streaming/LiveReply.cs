using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using System.Text.Json;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Pricing;
using Microsoft.Extensions.Logging;

namespace CommandCenter.Services.Streaming;

/// <summary>
/// One reply in flight, owned by the server rather than by whoever asked for it. It reads its Anthropic call on its own,
/// numbers every event it produces, and keeps them so that watchers — pages, SSE responses, any number of them — can
/// attach from any point (<see cref="WatchAsync"/>) and detach freely. It ends once: when Anthropic finishes or fails,
/// on <see cref="Stop"/>, or when nobody has watched it for the grace period; then its end is recorded, and only once
/// that write has landed are <c>cost</c> and <c>done</c> told to its watchers.
/// </summary>
public sealed partial class LiveReply
{
    private readonly ReplyRows _rows;
    private AnthropicStream _upstream; // the call now running: a paused turn is continued by another
    private readonly Task _startRecorded;
    private readonly IReplyRecorder _recorder;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly TimeSpan _unwatchedGrace;
    private long _sessionStart;
    private readonly OutputTokenCounter? _outputCounter;

    private readonly Lock _gate = new();
    private readonly List<StreamEvent> _events = []; // event N is _events[N - 1]
    private readonly List<ChannelWriter<ReplyEvent>> _watchers = [];
    private int _keepers; // pages that started or followed the reply and are still open, watching or not
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private ITimer? _unwatchedTimer;
    private long _unwatchedTimerGeneration;
    private ReplyStop? _stop;
    private bool _closed;
    private string _status = Conversations.MessageStatus.Streaming;
    // How the reply ended, as its rows were settled from; null until then (or if it crashed first).
    private ReplySnapshot? _settled;
    // 1 while the registry runs the reply and its telemetry end is still to be recorded (the warm-up's never is).
    private int _tracked;

    // Written by the reading loop only.
    private readonly StringBuilder _text = new();
    private TokenUsage _usage;
    private bool _outputReported;
    private string? _stopReason;
    private string? _upstreamMessageId;
    private string? _upstreamRequestId;
    private long? _firstTokenTimestamp;
    // Server tool calls, by id, until their result comes; and what the reply did, to store with it.
    private readonly Dictionary<string, (string Name, JsonElement Input, int Index)> _toolCalls = [];
    private readonly StringBuilder _thinking = new();
    private readonly StringBuilder _progress = new();
    private bool _progressNoteOpen;
    private readonly List<ToolEvent> _tools = [];
    private readonly List<CitationEvent> _citations = [];
    // The turn's content as Anthropic sent it, to send back if it pauses; the calls made to continue it; where the current call's text begins.
    private AssistantContent? _content;
    private int _continuations;
    private int _sessionTextStart;

    internal LiveReply(
        ReplyRows rows, MetaEvent meta, AnthropicStream upstream, MessageStarted started, Task startRecorded, IReplyRecorder recorder,
        TimeProvider clock, TimeSpan unwatchedGrace, long startTimestamp, OutputTokenCounter? outputCounter, ILogger logger)
    {
        _outputCounter = outputCounter;
        _logger = logger;
        _startRecorded = startRecorded;
        _rows = rows;
        Meta = meta;
        _upstream = upstream;
        _usage = default(TokenUsage).Apply(started.Usage);
        _upstreamMessageId = started.MessageId;
        _upstreamRequestId = upstream.RequestId;
        _recorder = recorder;
        _clock = clock;
        _unwatchedGrace = unwatchedGrace;
        _sessionStart = startTimestamp;
        _events.Add(meta);
        lock (_gate)
        {
            // Nobody watches yet: whoever started the reply attaches next, or the grace period ends it.
            ArmUnwatchedTimer();
        }

        _ = StopIfStartNotRecordedAsync();
    }

    public MetaEvent Meta { get; }
    public string OwnerId => _rows.Trace.OwnerId;

    /// <summary>The reply's telemetry activity (see <see cref="Telemetry.ReplyTelemetry"/>), ended with it.</summary>
    internal System.Diagnostics.Activity? Activity { get; init; }

    /// <summary>
    /// What thinking deltas become: <see cref="ThinkingEvent"/>s when the agent shows its thinking, <see cref="ProgressEvent"/>s
    /// when they are the model's notes between tool calls; otherwise none leaves the server.
    /// </summary>
    internal ThinkingDeltas Thinking { get; init; }

    /// <summary>How a turn Anthropic pauses (<c>pause_turn</c>) is continued; null when it cannot pause (no server tools).</summary>
    internal ReplyContinuation? Continuation { get; init; }

    /// <summary>The registry runs this reply: it counts as live in the metrics until it closes.</summary>
    internal void Track()
    {
        Volatile.Write(ref _tracked, 1);
        Telemetry.ReplyTelemetry.Running();
    }
    public string MessageId => Meta.MessageId;
    public string ConversationId => Meta.ConversationId;

    /// <summary>Completes when the start of the reply is stored; faults with <see cref="StreamStartException"/> when it cannot be.</summary>
    public Task StartRecorded => _startRecorded;

    /// <summary>Completes when the reply has ended and its end is recorded (or the server gave up recording it).</summary>
    public Task Finished => _finished.Task;

    public bool IsFinished => _finished.Task.IsCompleted;

    /// <summary>The reply message's status: <c>streaming</c> until it has ended and is recorded, then <c>complete</c>, <c>stopped</c> or <c>failed</c>.</summary>
    public string Status => Volatile.Read(ref _status);

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
    /// The events after number <paramref name="after"/>: first those already produced, then each new one as it comes,
    /// until the reply's last event. Ending the enumeration (or cancelling <paramref name="ct"/>) only detaches.
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
                DisarmUnwatchedTimer();
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
                    ArmUnwatchedTimerIfNobodyLeft();
                }
            }
        }
    }

    /// <summary>
    /// Keeps the reply going while the returned handle lives, watched or not: a page that started or followed it holds one
    /// until the page itself closes, so looking at another conversation does not start the grace period.
    /// </summary>
    public IDisposable Keep()
    {
        lock (_gate)
        {
            _keepers++;
            DisarmUnwatchedTimer();
        }

        return new Keeper(this);
    }

    private sealed class Keeper(LiveReply reply) : IDisposable
    {
        private LiveReply? _reply = reply;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _reply, null) is { } reply)
            {
                lock (reply._gate)
                {
                    reply._keepers--;
                    reply.ArmUnwatchedTimerIfNobodyLeft();
                }
            }
        }
    }

    /// <summary>Ends the reply early: the upstream call is closed at once and the reply recorded as cancelled.</summary>
    public void Stop() => Stop(ReplyStop.Operator);

    internal void Stop(ReplyStop reason)
    {
        lock (_gate)
        {
            if (_closed || _stop is not null)
            {
                return;
            }

            _stop = reason;
        }

        _stopping.Cancel();
        _ = _upstream.CancelAsync();
    }

    /// <summary>The grace timer's callback; a timer replaced since (a watcher came, and went again) has no say.</summary>
    private void StopIfStillUnwatched(long generation)
    {
        lock (_gate)
        {
            if (generation != _unwatchedTimerGeneration || _unwatchedTimer is null || _watchers.Count > 0 || _keepers > 0)
            {
                return;
            }
        }

        Stop(ReplyStop.Unwatched);
    }

    /// <summary>Reads the upstream call to its end, then records the end and tells the watchers. Run once, by the registry.</summary>
    /// <param name="recordingAbandoned">Cancelled when the server stops waiting for the database.</param>
    internal async Task RunAsync(CancellationToken recordingAbandoned)
    {
        var status = Conversations.MessageStatus.Failed;
        try
        {
            var end = await RelayAsync(recordingAbandoned);
            // Close the call before the database write, so a stop reaches Anthropic at once.
            await _upstream.DisposeAsync();
            if (!_outputReported && _outputCounter is not null && end.Text.Length > _sessionTextStart)
            {
                var output = await _outputCounter.CountAsync(Meta.TraceId, end.Text[_sessionTextStart..], end.Usage, _continuations > 0, recordingAbandoned);
                end = end with { Usage = end.Usage with { OutputTokens = output }, OutputEstimated = true };
            }
            CostEvent cost;
            try
            {
                // The end updates the rows the start inserted: it waits for them.
                await _startRecorded;
                _settled = end;
                cost = await _recorder.SettleAsync(_rows, end, recordingAbandoned);
            }
            catch (Exception e) when (e is StreamStartException or ReplyNotRecordedException)
            {
                Close(new ErrorEvent(e.Message));
                return;
            }
            catch (OperationCanceledException)
            {
                Close(new ErrorEvent("The server stopped before this reply could be recorded."));
                return;
            }

            status = _rows.Reply!.Status;
            if (end.Outcome == ReplyOutcome.Failed)
            {
                Close(new ErrorEvent(end.Error!));
            }
            else if (end.Outcome == ReplyOutcome.Completed)
            {
                Close(cost, DoneEvent.Instance);
            }
            else
            {
                Close(cost);
            }
        }
        catch (Exception e)
        {
            LogCrashed(_logger, e, Meta.TraceId);
            Close(new ErrorEvent("The reply failed unexpectedly."));
        }
        finally
        {
            Volatile.Write(ref _status, status);
            _finished.TrySetResult();
        }
    }

    /// <summary>A reply whose rows cannot be written (its conversation was deleted, say) must not run on unrecorded.</summary>
    private async Task StopIfStartNotRecordedAsync()
    {
        try
        {
            await _startRecorded;
        }
        catch (StreamStartException)
        {
            Stop(ReplyStop.Unrecorded);
        }
        catch (OperationCanceledException)
        {
            // The server is stopping; it ends this reply itself.
        }
    }

    private async Task<ReplySnapshot> RelayAsync(CancellationToken recordingAbandoned)
    {
        _content = Continuation is not null ? new AssistantContent() : null;
        try
        {
            while (await _upstream.MoveNextAsync())
            {
                _content?.Observe(_upstream.Current);
                switch (_upstream.Current)
                {
                    case TextDelta text:
                        _firstTokenTimestamp ??= _clock.GetTimestamp();
                        _text.Append(text.Text);
                        Append(new ChunkEvent(text.Text));
                        break;
                    case ThinkingDelta thinking when Thinking == ThinkingDeltas.AsThinking:
                        _thinking.Append(thinking.Text);
                        Append(new ThinkingEvent(thinking.Text));
                        break;
                    case BlockStarted { Type: "thinking" } when Thinking == ThinkingDeltas.AsProgress:
                        _progressNoteOpen = false;
                        break;
                    case ThinkingDelta { Text.Length: > 0 } note when Thinking == ThinkingDeltas.AsProgress:
                        // Each thinking block is one note; the next one starts on a new paragraph.
                        var said = !_progressNoteOpen && _progress.Length > 0 ? "\n\n" + note.Text : note.Text;
                        _progressNoteOpen = true;
                        _progress.Append(said);
                        Append(new ProgressEvent(said));
                        break;
                    case ServerToolCalled tool:
                        _toolCalls[tool.Id] = (tool.Name, tool.Input, _tools.Count);
                        _tools.Add(new ToolEvent(tool.Name, tool.Input, ToolEvent.Running));
                        Append(_tools[^1]);
                        break;
                    case ServerToolResult result when _toolCalls.Remove(result.ToolUseId, out var call):
                        _tools[call.Index] = result.ErrorCode is { } code
                            ? new ToolEvent(call.Name, call.Input, ToolEvent.Failed, Error: code)
                            : new ToolEvent(call.Name, call.Input, ToolEvent.Done, result.Results);
                        Append(_tools[call.Index]);
                        break;
                    case CitationDelta citation:
                        var source = new CitationEvent(citation.Url, citation.Title, citation.CitedText);
                        if (source.Url is null || !_citations.Exists(c => c.Url == source.Url))
                        {
                            _citations.Add(source);
                        }

                        Append(source);
                        break;
                    case MessageStarted started:
                        _usage = _usage.Apply(started.Usage);
                        _upstreamMessageId = started.MessageId ?? _upstreamMessageId;
                        break;
                    case MessageDelta delta:
                        _usage = _usage.Apply(delta.Usage);
                        _outputReported |= delta.Usage?.OutputTokens is not null;
                        _stopReason = delta.StopReason ?? _stopReason;
                        break;
                    case MessageStopped when _stopReason == PauseTurn && _content is not null && _continuations < Continuation!.MaxContinuations:
                        if (await ContinueAsync(recordingAbandoned) is { } refused)
                        {
                            return refused;
                        }

                        break;
                    case MessageStopped:
                        return Snapshot(ReplyOutcome.Completed, null);
                    case StreamError failure:
                        return Snapshot(ReplyOutcome.Failed, $"Anthropic stream error ({failure.ErrorType}): {failure.Message}");
                }
            }

            return Snapshot(ReplyOutcome.Failed, "The model's stream ended before the reply was complete.");
        }
        catch (OperationCanceledException) when (StopReason is { } stop)
        {
            return stop switch
            {
                ReplyStop.Unwatched => Snapshot(ReplyOutcome.Cancelled, $"Stopped: nobody watched the reply for {_unwatchedGrace.TotalSeconds:0.#} s."),
                ReplyStop.Shutdown => Snapshot(ReplyOutcome.Failed, "The server is shutting down."),
                ReplyStop.Unrecorded => Snapshot(ReplyOutcome.Failed, "The reply could not be recorded."),
                ReplyStop.AccountDisabled => Snapshot(ReplyOutcome.Cancelled, "Stopped: the account was disabled."),
                _ => Snapshot(ReplyOutcome.Cancelled, null),
            };
        }
        catch (Exception e)
        {
            LogStreamBroken(_logger, e, Meta.TraceId);
            return Snapshot(ReplyOutcome.Failed, e switch
            {
                TimeoutException => "Anthropic stopped responding.",
                JsonException => "Anthropic sent an event that could not be read.",
                IOException or HttpRequestException => "The connection to Anthropic was lost before the reply was complete.",
                OperationCanceledException => "Anthropic stopped sending before the reply was complete.",
                _ => "The reply failed unexpectedly.",
            });
        }
    }

    private const string PauseTurn = "pause_turn";

    /// <summary>
    /// Anthropic paused the turn: records the call that paused, then opens the next with the turn so far sent back, and
    /// reads on from its start. Returns the reply's end when Anthropic refuses the continuation; null when it runs.
    /// </summary>
    private async Task<ReplySnapshot?> ContinueAsync(CancellationToken recordingAbandoned)
    {
        var paused = Snapshot(ReplyOutcome.Completed, null);
        await _upstream.DisposeAsync();
        await _startRecorded;
        await _recorder.ContinueAsync(_rows, paused, recordingAbandoned);
        _continuations++;
        (_usage, _outputReported, _stopReason, _upstreamMessageId, _upstreamRequestId, _firstTokenTimestamp) = (default, false, null, null, null, null);
        _sessionStart = _clock.GetTimestamp();
        _sessionTextStart = _text.Length;
        try
        {
            _upstream = await Continuation!.OpenAsync(_content!.ToMessage(), _stopping.Token);
            _upstreamRequestId = _upstream.RequestId;
            // A stop that came while the call was opening cancelled the previous one.
            _stopping.Token.ThrowIfCancellationRequested();
            var started = await _upstream.ReadStartAsync();
            _usage = _usage.Apply(started.Usage);
            _upstreamMessageId = started.MessageId;
            return null;
        }
        catch (AnthropicApiException e)
        {
            return Snapshot(ReplyOutcome.Failed, $"Anthropic API error {e.StatusCode} ({e.ErrorType}) continuing the paused turn: {e.UpstreamMessage}") with
            {
                UpstreamStatus = e.StatusCode,
                UpstreamRequestId = e.RequestId,
            };
        }
    }

    private ReplyStop? StopReason
    {
        get
        {
            lock (_gate)
            {
                return _stop;
            }
        }
    }

    private ReplySnapshot Snapshot(ReplyOutcome outcome, string? error)
    {
        var now = _clock.GetTimestamp();
        return new ReplySnapshot(outcome, _usage)
        {
            Text = _text.ToString(),
            Activity = _thinking.Length > 0 || _tools.Count > 0 || _citations.Count > 0 || _progress.Length > 0
                ? new Conversations.ReplyActivity(_thinking.Length > 0 ? _thinking.ToString() : null, [.. _tools], [.. _citations], _progress.Length > 0 ? _progress.ToString() : null)
                : null,
            StopReason = _stopReason,
            Error = error,
            UpstreamRequestId = _upstreamRequestId,
            UpstreamMessageId = _upstreamMessageId,
            TimeToFirstToken = _firstTokenTimestamp is { } first ? _clock.GetElapsedTime(_sessionStart, first) : null,
            Duration = _clock.GetElapsedTime(_sessionStart, now),
        };
    }

    private void Append(StreamEvent e)
    {
        lock (_gate)
        {
            AppendLocked(e);
        }
    }

    private void AppendLocked(StreamEvent e)
    {
        _events.Add(e);
        var numbered = new ReplyEvent(_events.Count, e);
        foreach (var watcher in _watchers)
        {
            watcher.TryWrite(numbered);
        }
    }

    /// <summary>Called once, as the reply ends and before its last events are told.</summary>
    internal Action? Ending
    {
        set => _ending = value;
    }

    private Action? _ending;

    /// <summary>Adds the last events and lets every watcher finish; once only.</summary>
    private void Close(params ReadOnlySpan<StreamEvent> last)
    {
        Interlocked.Exchange(ref _ending, null)?.Invoke();
        if (Interlocked.Exchange(ref _tracked, 0) == 1)
        {
            // Before the last events go out: whoever hears "done" finds the reply's telemetry complete.
            Telemetry.ReplyTelemetry.Ended(Activity, _rows, _settled ?? new ReplySnapshot(ReplyOutcome.Failed, default));
        }

        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            foreach (var e in last)
            {
                AppendLocked(e);
            }

            _closed = true;
            foreach (var watcher in _watchers)
            {
                watcher.TryComplete();
            }

            _watchers.Clear();
            DisarmUnwatchedTimer();
        }
    }

    private void ArmUnwatchedTimerIfNobodyLeft()
    {
        if (_watchers.Count == 0 && _keepers == 0 && !_closed)
        {
            ArmUnwatchedTimer();
        }
    }

    private void ArmUnwatchedTimer()
    {
        if (_unwatchedTimer is null)
        {
            var state = new UnwatchedTimerState(this, ++_unwatchedTimerGeneration);
            _unwatchedTimer = _clock.CreateTimer(static state => ((UnwatchedTimerState)state!).Fire(), state, _unwatchedGrace, Timeout.InfiniteTimeSpan);
        }
    }

    private sealed record UnwatchedTimerState(LiveReply Reply, long Generation)
    {
        public void Fire() => Reply.StopIfStillUnwatched(Generation);
    }

    private void DisarmUnwatchedTimer()
    {
        _unwatchedTimer?.Dispose();
        _unwatchedTimer = null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trace {TraceId}: the upstream stream broke")]
    private static partial void LogStreamBroken(ILogger logger, Exception exception, string traceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Trace {TraceId}: the reply ended unexpectedly")]
    private static partial void LogCrashed(ILogger logger, Exception exception, string traceId);
}
