using System.IO.Pipelines;
using System.Net;
using System.Text;
using CommandCenter.Services.Agents;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Streaming;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CommandCenter.Unit.Services;

/// <summary>The reply lifecycle over a scripted upstream: the test writes Anthropic's wire format as the reply goes on.</summary>
public sealed class LiveReplyTests : IAsyncDisposable
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(10);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly Pipe _wire = new();
    private readonly FakeTimeProvider _clock = new();
    private readonly ScriptedRecorder _recorder = new();
    private readonly LiveReplies _registry;

    public LiveReplyTests() =>
        _registry = new LiveReplies(Options.Create(new StreamingOptions()), Options.Create(new ShutdownOptions()), _clock, NullLogger<LiveReplies>.Instance);

    private async Task<LiveReply> StartAsync(Task? startRecorded = null, int inputTokens = 45, TimeSpan? idleTimeout = null)
    {
        await SendAsync("message_start", $$$$"""{"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4-5","usage":{"input_tokens":{{{{inputTokens}}}},"output_tokens":1}}}""");
        var upstream = new AnthropicStream(new HttpResponseMessage(HttpStatusCode.OK), _wire.Reader.AsStream(), idleTimeout ?? IdleTimeout, _clock);
        var started = await upstream.ReadStartAsync();
        var rows = ReplyRows.Create(
            "user-1", new Agent { Id = "agent-1", Name = "Terse", Model = "claude-sonnet-4-5", MaxTokens = 100 },
            new ModelPrice { Id = 1, Model = "claude-sonnet-4-5", InputPerMTok = 3m, OutputPerMTok = 15m },
            new Conversation { Id = "conversation-1", OwnerId = "user-1", AgentId = "agent-1", Title = "Hi" }, isNewConversation: true, position: 0,
            "Hi", new ConversationHistory.Prompt(null, [], 0, 0), instanceKey: 1, _clock.GetUtcNow());
        var meta = new MetaEvent(rows.Conversation!.Id, rows.Trace.Id, rows.Reply!.Id, 0);
        _recorder.StartWrite = startRecorded ?? Task.CompletedTask;
        var plan = new ReplyPlan("sk-test", new WireRequest("claude-sonnet-4-5", 100, null, []), rows);
        var reservation = _registry.Reserve("user-1", null, maxLivePerOwner: 10);
        return new LiveReply(plan, meta, NoCalls.Instance, upstream, started, _clock.GetTimestamp(), reservation, _recorder, _clock, Grace, NullLogger.Instance);
    }

    private async Task SendAsync(string type, string json)
    {
        await _wire.Writer.WriteAsync(Encoding.UTF8.GetBytes($"event: {type}\ndata: {json}\n\n"), Ct);
        await _wire.Writer.FlushAsync(Ct);
    }

    private Task TextAsync(string text) =>
        SendAsync("content_block_delta", $$$"""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"{{{text}}}"}}""");

    private async Task FinishAsync(int outputTokens)
    {
        await SendAsync("message_delta", $$$"""{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":{{{outputTokens}}}}}""");
        await SendAsync("message_stop", """{"type":"message_stop"}""");
    }

    /// <summary>Waits until the reply has read its upstream as far as event <paramref name="count"/> (or has ended).</summary>
    private static async Task EventsReadAsync(LiveReply reply, long count)
    {
        while (reply.LastEventId < count && !reply.IsFinished)
        {
            await Task.Delay(1, Ct);
        }
    }

    /// <summary>Reads a watcher's events in the background, so the test can look at what arrived so far.</summary>
    private sealed class Watcher
    {
        private readonly List<ReplyEvent> _seen = [];
        private readonly SemaphoreSlim _arrived = new(0);

        public Watcher(LiveReply reply, long after, CancellationToken ct) => Completion = ReadAsync(reply, after, ct);

        public Task Completion { get; }

        public IReadOnlyList<ReplyEvent> Seen
        {
            get
            {
                lock (_seen)
                {
                    return [.. _seen];
                }
            }
        }

        private async Task ReadAsync(LiveReply reply, long after, CancellationToken ct)
        {
            await foreach (var e in reply.WatchAsync(after, ct))
            {
                lock (_seen)
                {
                    _seen.Add(e);
                }

                _arrived.Release();
            }
        }

        /// <summary>Waits until <paramref name="count"/> events in all have arrived.</summary>
        public async Task UntilAsync(int count)
        {
            while (Seen.Count < count)
            {
                if (!await _arrived.WaitAsync(TimeSpan.FromSeconds(10), Ct))
                {
                    throw new TimeoutException($"Only {Seen.Count} of {count} events arrived.");
                }
            }
        }

        public string Text => string.Concat(Seen.Select(e => e.Event).OfType<ChunkEvent>().Select(c => c.Text));
    }

    [Fact]
    public async Task EachDeltaIsANumberedChunkAndTheReplySettlesOnceWhenAnthropicFinishes()
    {
        var reply = await StartAsync();
        var watcher = new Watcher(reply, 0, Ct);
        var run = reply.RunAsync(Ct);

        await TextAsync("Hello");
        await TextAsync(", world");
        await FinishAsync(outputTokens: 12);
        await run;
        await watcher.Completion;

        watcher.Seen.Select(e => e.Id).ShouldBe([1L, 2, 3, 4, 5]);
        watcher.Seen.Select(e => e.Event.GetType().Name).ShouldBe(["MetaEvent", "ChunkEvent", "ChunkEvent", "CostEvent", "DoneEvent"]);
        watcher.Text.ShouldBe("Hello, world");
        var end = _recorder.Settled.ShouldHaveSingleItem();
        end.Outcome.ShouldBe(ReplyOutcome.Completed);
        end.Usage.ShouldBe(new TokenUsage(45, 12));
        end.Text.ShouldBe("Hello, world");
        ((CostEvent)watcher.Seen[3].Event).TotalCost.ShouldBe(0.000315m);
        reply.IsFinished.ShouldBeTrue();
    }

    [Fact]
    public async Task ALateWatcherGetsWhatItMissedThenTheRestLiveWithNoGapOrRepeat()
    {
        var reply = await StartAsync();
        var early = new Watcher(reply, 0, Ct);
        var run = reply.RunAsync(Ct);
        await TextAsync("one ");
        await TextAsync("two ");
        await early.UntilAsync(3);

        var late = new Watcher(reply, after: 2, Ct);
        await late.UntilAsync(1);
        await TextAsync("three");
        await FinishAsync(outputTokens: 3);
        await run;
        await Task.WhenAll(early.Completion, late.Completion);

        late.Seen.Select(e => e.Id).ShouldBe([3L, 4, 5, 6]);
        late.Seen.ShouldBe(early.Seen.Skip(2));
        early.Text.ShouldBe("one two three");
    }

    [Fact]
    public async Task CostAndDoneAreToldOnlyOnceTheEndIsRecorded()
    {
        var reply = await StartAsync();
        var watcher = new Watcher(reply, 0, Ct);
        _recorder.Hold();
        var run = reply.RunAsync(Ct);
        await TextAsync("All of it");
        await FinishAsync(outputTokens: 3);

        await _recorder.SettleCalled;
        watcher.Seen.Select(e => e.Event).ShouldNotContain(e => e is CostEvent || e is DoneEvent);
        reply.IsFinished.ShouldBeFalse();

        _recorder.Release();
        await run;
        await watcher.Completion;
        watcher.Seen.Select(e => e.Event.GetType().Name).TakeLast(2).ShouldBe(["CostEvent", "DoneEvent"]);
    }

    [Fact]
    public async Task TheEndIsRecordedOnlyAfterTheStart()
    {
        var startWrite = new TaskCompletionSource();
        var reply = await StartAsync(startWrite.Task);
        var run = reply.RunAsync(Ct);
        var watcher = new Watcher(reply, 0, Ct);
        await TextAsync("Quick");
        await FinishAsync(outputTokens: 1);
        await watcher.UntilAsync(2);

        _recorder.Settled.ShouldBeEmpty();
        startWrite.SetResult();
        await run;
        _recorder.Settled.ShouldHaveSingleItem().Outcome.ShouldBe(ReplyOutcome.Completed);
    }

    [Fact]
    public async Task AStartThatCannotBeRecordedStopsTheReplyWithItsReasonAndNothingIsSettled()
    {
        var startWrite = new TaskCompletionSource();
        var reply = await StartAsync(startWrite.Task);
        var watcher = new Watcher(reply, 0, Ct);
        var run = reply.RunAsync(Ct);
        await TextAsync("Begun");
        await watcher.UntilAsync(2);

        startWrite.SetException(new StreamStartException(StreamStartFailure.ConversationNotFound, "Conversation with ID conversation-1 not found"));
        await run;
        await watcher.Completion;

        _recorder.Settled.ShouldBeEmpty();
        watcher.Seen[^1].Event.ShouldBe(new ErrorEvent("Conversation with ID conversation-1 not found"));
    }

    [Fact]
    public async Task StopEndsTheUpstreamReadAndRecordsACancelledReplyWithTheUsageKnownSoFar()
    {
        var reply = await StartAsync(inputTokens: 80);
        var watcher = new Watcher(reply, 0, Ct);
        var run = reply.RunAsync(Ct);
        await TextAsync("Partial");
        await watcher.UntilAsync(2);

        reply.Stop();
        await run;
        await watcher.Completion;

        var end = _recorder.Settled.ShouldHaveSingleItem();
        end.Outcome.ShouldBe(ReplyOutcome.Cancelled);
        end.Usage.InputTokens.ShouldBe(80);
        end.Text.ShouldBe("Partial");
        watcher.Seen.Select(e => e.Event.GetType().Name).ShouldBe(["MetaEvent", "ChunkEvent", "CostEvent"]);
    }

    [Fact]
    public async Task NobodyWatchingForTheGracePeriodStopsTheReplyButAWatcherInTimeKeepsItGoing()
    {
        var reply = await StartAsync();
        var run = reply.RunAsync(Ct);

        // Unwatched from the start, but someone attaches just in time.
        _clock.Advance(Grace - TimeSpan.FromSeconds(1));
        using (var leave = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            var watcher = new Watcher(reply, 0, leave.Token);
            await watcher.UntilAsync(1);
            _clock.Advance(Grace * 2);
            await TextAsync("still here");
            await watcher.UntilAsync(2);
            await leave.CancelAsync();
            await Should.ThrowAsync<OperationCanceledException>(watcher.Completion);
        }

        _clock.Advance(Grace - TimeSpan.FromSeconds(1));
        reply.IsFinished.ShouldBeFalse();
        _clock.Advance(TimeSpan.FromSeconds(1));
        await run;

        var end = _recorder.Settled.ShouldHaveSingleItem();
        end.Outcome.ShouldBe(ReplyOutcome.Cancelled);
        end.Error.ShouldBe("Stopped: nobody watched the reply for 30 s.");
        end.Text.ShouldBe("still here");
    }

    [Fact]
    public async Task AKeptReplyOutlivesTheGraceUnwatchedAndTheGraceStartsOnlyWhenTheLastKeeperLetsGo()
    {
        var reply = await StartAsync();
        var run = reply.RunAsync(Ct);
        var page = reply.Keep();
        var otherTab = reply.Keep();

        // Kept by two open pages, watched by neither: the reply goes on well past the grace.
        _clock.Advance(Grace * 3);
        await TextAsync("written while you looked elsewhere");
        await EventsReadAsync(reply, 2);
        reply.IsFinished.ShouldBeFalse();

        page.Dispose();
        page.Dispose(); // once is what counts
        _clock.Advance(Grace * 3);
        await TextAsync(", and more");
        await EventsReadAsync(reply, 3);
        reply.IsFinished.ShouldBeFalse("the other tab still keeps it");

        otherTab.Dispose();
        _clock.Advance(Grace - TimeSpan.FromSeconds(1));
        reply.IsFinished.ShouldBeFalse();
        _clock.Advance(TimeSpan.FromSeconds(1));
        await run;

        var end = _recorder.Settled.ShouldHaveSingleItem();
        end.Outcome.ShouldBe(ReplyOutcome.Cancelled);
        end.Text.ShouldBe("written while you looked elsewhere, and more");
    }

    [Fact]
    public async Task AnUpstreamSilentForTheIdleTimeoutFailsTheReplyWhileAnyBytesKeepItAlive()
    {
        var idle = TimeSpan.FromSeconds(90);
        var reply = await StartAsync(idleTimeout: idle);
        var watcher = new Watcher(reply, 0, Ct);
        var run = reply.RunAsync(Ct);

        foreach (var (word, seen) in new[] { ("slow ", 2), ("but ", 3), ("alive", 4) })
        {
            await TextAsync(word);
            await watcher.UntilAsync(seen);
            _clock.Advance(idle - TimeSpan.FromSeconds(10));
        }

        reply.IsFinished.ShouldBeFalse();
        _clock.Advance(TimeSpan.FromSeconds(11));
        await run;
        await watcher.Completion;

        var end = _recorder.Settled.ShouldHaveSingleItem();
        end.Outcome.ShouldBe(ReplyOutcome.Failed);
        end.Error.ShouldBe("Anthropic stopped responding.");
        end.Text.ShouldBe("slow but alive");
        watcher.Seen[^1].Event.ShouldBe(new ErrorEvent("Anthropic stopped responding."));
    }

    [Fact]
    public async Task AWatcherOfAFinishedReplyGetsEverythingAndEnds()
    {
        var reply = await StartAsync();
        var run = reply.RunAsync(Ct);
        await TextAsync("Done");
        await FinishAsync(outputTokens: 1);
        await run;

        var watcher = new Watcher(reply, 0, Ct);
        await watcher.Completion;
        watcher.Seen.Select(e => e.Id).ShouldBe([1L, 2, 3, 4]);
        reply.LastEventId.ShouldBe(4);
    }

    public async ValueTask DisposeAsync()
    {
        await _wire.Writer.CompleteAsync();
    }

    /// <summary>Records what it is asked to settle; the start write is what the test says; can hold the end's write, as a slow database would.</summary>
    private sealed class ScriptedRecorder : IReplyRecorder
    {
        public Task StartWrite { get; set; } = Task.CompletedTask;

        public Task RecordStartAsync(ReplyRows rows, ReplySnapshot snapshot, CancellationToken ct) => StartWrite;

        private readonly TaskCompletionSource _settleCalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource? _hold;

        public List<ReplySnapshot> Settled { get; } = [];

        public Task SettleCalled => _settleCalled.Task;

        public void Hold() => _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _hold!.SetResult();

        public async Task<CostEvent> SettleAsync(ReplyRows rows, ReplySnapshot end, CancellationToken ct)
        {
            _settleCalled.TrySetResult();
            await (_hold?.Task ?? Task.CompletedTask);
            Settled.Add(end);
            var cost = CostCalculator.Compute(end.Usage, rows.Price);
            return new CostEvent(end.Usage.InputTokens, end.Usage.OutputTokens, 0, 0, cost.TotalCost, 0, rows.Session.ModelUsed, end.StopReason);
        }

        public Task ContinueAsync(ReplyRows rows, ReplySnapshot paused, CancellationToken ct)
        {
            rows.Continue(paused, DateTimeOffset.UtcNow);
            return Task.CompletedTask;
        }
    }
}
