using System.Text.Json;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Pricing;
using Microsoft.Extensions.Logging;

namespace CommandCenter.Services.Streaming;

/// <summary>
/// One reply, owned by the server from its start write to its settled cost, whoever asked for it. Given its plan and
/// its opened Anthropic call, it records its start, reads the call (<see cref="ReplyReader"/>) and tells every event to
/// its watchers (<see cref="ReplyBroadcast"/>), continues a paused turn, settles its rows, and gives back its
/// reservation, all in <see cref="RunAsync"/>. It ends once: when Anthropic finishes or fails, on <see cref="Stop"/>, or
/// when nobody has watched it for the grace period; only once its end is stored are <c>cost</c> and <c>done</c> told.
/// </summary>
public sealed partial class LiveReply
{
    private readonly ReplyRows _rows;
    private readonly IReplyUpstream _calls;
    private AnthropicStream _upstream; // the call now running: a paused turn is continued by another
    private readonly Reservation _reservation;
    private readonly IReplyRecorder _recorder;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly ReplyReader _reader;
    private readonly ReplyBroadcast _broadcast;
    // What the start write inserts: the reply as Anthropic began it.
    private readonly ReplySnapshot _begun;

    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _startRecorded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private ReplyStop? _stop;
    private int _closed;
    private string _status = Conversations.MessageStatus.Streaming;
    // How the reply ended, as its rows were settled from; null until then (or if it crashed first).
    private ReplySnapshot? _settled;
    private int _continuations;

    internal LiveReply(
        ReplyPlan plan, MetaEvent meta, IReplyUpstream calls, AnthropicStream upstream, MessageStarted started, long startTimestamp,
        Reservation reservation, IReplyRecorder recorder, TimeProvider clock, TimeSpan unwatchedGrace, ILogger logger)
    {
        _rows = plan.Rows;
        Meta = meta;
        _calls = calls;
        _upstream = upstream;
        _reservation = reservation;
        _recorder = recorder;
        _clock = clock;
        _logger = logger;
        _reader = new ReplyReader(plan.Request.ThinkingShown, keepsTurn: calls.MaxContinuations > 0, clock);
        _reader.BeginCall(startTimestamp);
        _reader.UpstreamRequestId = upstream.RequestId;
        _reader.Read(started);
        _begun = new ReplySnapshot(ReplyOutcome.Running, default(TokenUsage).Apply(started.Usage))
        {
            UpstreamRequestId = upstream.RequestId,
            UpstreamMessageId = started.MessageId,
        };
        _broadcast = new ReplyBroadcast(meta, clock, unwatchedGrace, () => Stop(ReplyStop.Unwatched));
    }

    public MetaEvent Meta { get; }
    public string OwnerId => _rows.Trace.OwnerId;
    public string MessageId => Meta.MessageId;
    public string ConversationId => Meta.ConversationId;

    /// <summary>The claim on the owner's live replies and the conversation that the reply gives back as it ends.</summary>
    internal Reservation Reservation => _reservation;

    /// <summary>The reply's telemetry activity (see <see cref="Telemetry.ReplyTelemetry"/>), ended with it.</summary>
    internal System.Diagnostics.Activity? Activity { get; init; }

    /// <summary>Completes when the start of the reply is stored; faults with <see cref="StreamStartException"/> when it cannot be.</summary>
    public Task StartRecorded => _startRecorded.Task;

    /// <summary>Completes when the reply has ended and its end is recorded (or the server gave up recording it).</summary>
    public Task Finished => _finished.Task;

    public bool IsFinished => _finished.Task.IsCompleted;

    /// <summary>The reply message's status: <c>streaming</c> until it has ended and is recorded, then <c>complete</c>, <c>stopped</c> or <c>failed</c>.</summary>
    public string Status => Volatile.Read(ref _status);

    /// <summary>The number of the last event so far.</summary>
    public long LastEventId => _broadcast.LastEventId;

    /// <summary>What the reply was billed, as recorded, once it has ended (a failed reply's too, which its events do not tell); null until then or if it could not be recorded.</summary>
    public CostEvent? SettledCost => Volatile.Read(ref _settledCost);

    private CostEvent? _settledCost;

    /// <inheritdoc cref="ReplyBroadcast.WatchAsync"/>
    public IAsyncEnumerable<ReplyEvent> WatchAsync(long after = 0, CancellationToken ct = default) => _broadcast.WatchAsync(after, ct);

    /// <summary>
    /// Keeps the reply going while the returned handle lives, watched or not: a page that started or followed it holds one
    /// until the page itself closes, so looking at another conversation does not start the grace period.
    /// </summary>
    public IDisposable Keep() => _broadcast.Keep();

    /// <summary>Ends the reply early: the upstream call is closed at once and the reply recorded as cancelled.</summary>
    public void Stop() => Stop(ReplyStop.Operator);

    /// <summary>How long a stop waits for the reply's end to be recorded before it answers that it is still being recorded.</summary>
    public static readonly TimeSpan StopWait = TimeSpan.FromSeconds(5);

    /// <summary>Stops the reply (<see cref="Stop()"/>) and waits up to <see cref="StopWait"/> for its end to be recorded.</summary>
    public async Task<ReplyStopped> StopAndWaitAsync(CancellationToken ct)
    {
        if (IsFinished)
        {
            return new ReplyStopped(Status, AlreadyEnded: true, Finished: true);
        }

        Stop();
        var finished = await Finished.WaitAsync(StopWait, ct).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
        ct.ThrowIfCancellationRequested();
        return new ReplyStopped(Status, AlreadyEnded: false, finished);
    }

    internal void Stop(ReplyStop reason)
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _closed) != 0 || _stop is not null)
            {
                return;
            }

            _stop = reason;
        }

        _stopping.Cancel();
        _ = _upstream.CancelAsync();
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

    /// <summary>The whole life of the reply: its start write, its call read to the end, its end recorded and told. Run once, by the registry.</summary>
    /// <param name="recordingAbandoned">Cancelled when the server stops waiting for the database.</param>
    internal async Task RunAsync(CancellationToken recordingAbandoned)
    {
        Telemetry.ReplyTelemetry.Running();
        // Written while the reply runs (on the thread pool: EF's change tracking would otherwise delay the first chunk),
        // and begun before whoever started the reply hears of it; the end waits for it.
        _ = Task.Run(() => RecordStartAsync(recordingAbandoned), CancellationToken.None);
        // Off the caller's thread from here: the request or circuit that started the reply does not run it.
        await Task.Yield();
        var status = Conversations.MessageStatus.Failed;
        try
        {
            var end = await RelayAsync(recordingAbandoned);
            // Close the call before the database write, so a stop reaches Anthropic at once.
            await _upstream.DisposeAsync();
            var callText = _reader.CallText;
            if (!_reader.OutputReported && callText.Length > 0)
            {
                var output = await _calls.CountOutputAsync(Meta.TraceId, callText, end.Usage, _continuations > 0, recordingAbandoned);
                end = end with { Usage = end.Usage with { OutputTokens = output }, OutputEstimated = true };
            }

            CostEvent cost;
            try
            {
                // The end updates the rows the start inserted: it waits for them.
                await _startRecorded.Task;
                _settled = end;
                cost = await _recorder.SettleAsync(_rows, end, recordingAbandoned);
                Volatile.Write(ref _settledCost, cost);
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
            _reservation.Dispose();
            Volatile.Write(ref _status, status);
            _finished.TrySetResult();
        }
    }

    /// <summary>Records the reply's start; a reply whose rows cannot be written (its conversation was deleted, say) must not run on unrecorded.</summary>
    private async Task RecordStartAsync(CancellationToken recordingAbandoned)
    {
        try
        {
            await _recorder.RecordStartAsync(_rows, _begun, recordingAbandoned);
            _startRecorded.TrySetResult();
        }
        catch (StreamStartException e)
        {
            _startRecorded.TrySetException(e);
            Stop(ReplyStop.Unrecorded);
        }
        catch (Exception e)
        {
            // The server is stopping (it ends this reply itself), or the write failed for good.
            _startRecorded.TrySetException(e);
        }
    }

    private async Task<ReplySnapshot> RelayAsync(CancellationToken recordingAbandoned)
    {
        try
        {
            while (await _upstream.MoveNextAsync())
            {
                var e = _upstream.Current;
                if (_reader.Read(e) is { } ours)
                {
                    _broadcast.Tell(ours);
                }

                switch (e)
                {
                    case MessageStopped when _reader.Paused && _continuations < _calls.MaxContinuations:
                        if (await ContinueAsync(recordingAbandoned) is { } refused)
                        {
                            return refused;
                        }

                        break;
                    case MessageStopped:
                        return _reader.Snapshot(ReplyOutcome.Completed, null);
                    case StreamError failure:
                        return _reader.Snapshot(ReplyOutcome.Failed, $"Anthropic stream error ({failure.ErrorType}): {failure.Message}");
                }
            }

            return _reader.Snapshot(ReplyOutcome.Failed, "The model's stream ended before the reply was complete.");
        }
        catch (OperationCanceledException) when (StopReason is { } stop)
        {
            return stop switch
            {
                ReplyStop.Unwatched => _reader.Snapshot(ReplyOutcome.Cancelled, $"Stopped: nobody watched the reply for {_broadcast.Grace.TotalSeconds:0.#} s."),
                ReplyStop.Shutdown => _reader.Snapshot(ReplyOutcome.Failed, "The server is shutting down."),
                ReplyStop.Unrecorded => _reader.Snapshot(ReplyOutcome.Failed, "The reply could not be recorded."),
                ReplyStop.AccountDisabled => _reader.Snapshot(ReplyOutcome.Cancelled, "Stopped: the account was disabled."),
                _ => _reader.Snapshot(ReplyOutcome.Cancelled, null),
            };
        }
        catch (Exception e)
        {
            LogStreamBroken(_logger, e, Meta.TraceId);
            return _reader.Snapshot(ReplyOutcome.Failed, e switch
            {
                TimeoutException => "Anthropic stopped responding.",
                JsonException => "Anthropic sent an event that could not be read.",
                IOException or HttpRequestException => "The connection to Anthropic was lost before the reply was complete.",
                OperationCanceledException => "Anthropic stopped sending before the reply was complete.",
                _ => "The reply failed unexpectedly.",
            });
        }
    }

    /// <summary>
    /// Anthropic paused the turn: records the call that paused, then opens the next with the turn so far sent back, and
    /// reads on from its start. Returns the reply's end when Anthropic refuses the continuation; null when it runs.
    /// </summary>
    private async Task<ReplySnapshot?> ContinueAsync(CancellationToken recordingAbandoned)
    {
        var paused = _reader.Snapshot(ReplyOutcome.Completed, null);
        await _upstream.DisposeAsync();
        await _startRecorded.Task;
        await _recorder.ContinueAsync(_rows, paused, recordingAbandoned);
        _continuations++;
        _reader.BeginCall(_clock.GetTimestamp());
        try
        {
            _upstream = await _calls.ContinueAsync(_reader.Turn!.ToMessage(), _stopping.Token);
            _reader.UpstreamRequestId = _upstream.RequestId;
            // A stop that came while the call was opening cancelled the previous one.
            _stopping.Token.ThrowIfCancellationRequested();
            _reader.Read(await _upstream.ReadStartAsync());
            return null;
        }
        catch (AnthropicApiException e)
        {
            return _reader.Snapshot(ReplyOutcome.Failed, $"Anthropic API error {e.StatusCode} ({e.ErrorType}) continuing the paused turn: {e.UpstreamMessage}") with
            {
                UpstreamStatus = e.StatusCode,
                UpstreamRequestId = e.RequestId,
            };
        }
    }

    /// <summary>Tells the last events and lets every watcher finish; once only.</summary>
    private void Close(params ReadOnlySpan<StreamEvent> last)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 1)
        {
            return;
        }

        // Given back before the last events reach anyone, so that a client may send again the moment it hears "done";
        // and whoever hears it finds the reply's telemetry complete.
        _reservation.Dispose();
        Telemetry.ReplyTelemetry.Ended(Activity, _rows, _settled ?? new ReplySnapshot(ReplyOutcome.Failed, default));
        _broadcast.Close(last);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trace {TraceId}: the upstream stream broke")]
    private static partial void LogStreamBroken(ILogger logger, Exception exception, string traceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Trace {TraceId}: the reply ended unexpectedly")]
    private static partial void LogCrashed(ILogger logger, Exception exception, string traceId);
}
