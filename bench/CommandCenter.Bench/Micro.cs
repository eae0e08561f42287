using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CommandCenter.Services.Agents;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Streaming;
using CommandCenter.Web.Chat;
using CommandCenter.Web.Streaming;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace CommandCenter.Bench;

/// <summary>The hot path's parts, alone: relaying one upstream event to one SSE client, pricing a message, rendering a reply's markdown.</summary>
[MemoryDiagnoser]
public class MicroBenchmarks
{
    private const int EventsPerRelay = 1_000;

    private static readonly byte[] Deltas = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, EventsPerRelay).Select(i =>
        $"event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"word{i} \"}}}}\n\n")));

    private static readonly byte[] Start = Encoding.UTF8.GetBytes(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude-sonnet-4-6\",\"usage\":{\"input_tokens\":40,\"output_tokens\":1}}}\n\n");

    private static readonly byte[] Stop = Encoding.UTF8.GetBytes(
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":1000}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");

    private readonly ModelPrice _price = new()
    {
        Id = 1, Model = "claude-sonnet-4-6", InputPerMTok = 3m, CacheWrite5mPerMTok = 3.75m, CacheWrite1hPerMTok = 6m, CacheReadPerMTok = 0.3m, OutputPerMTok = 15m,
    };
    private readonly LiveReplies _registry = new(
        Microsoft.Extensions.Options.Options.Create(new StreamingOptions()), Microsoft.Extensions.Options.Options.Create(new ShutdownOptions()), TimeProvider.System,
        NullLogger<LiveReplies>.Instance);
    private readonly MarkdownRenderer _markdown = new();
    private string _reply = "";
    private IncrementalMarkdown _growing = null!;
    private string[] _updates = [];
    private int _update;

    [GlobalSetup]
    public void Setup()
    {
        // About 4,000 tokens of a typical reply: headings, lists, code, prose.
        var block = "## Step {0}\n\nSome **bold** prose with a [link](https://example.com) and `code`, then a list:\n\n- first item\n- second item\n\n```sql\nSELECT count(*) FROM task_trace;\n```\n\n";
        _reply = string.Concat(Enumerable.Range(0, 60).Select(i => string.Format(block, i)));
        // Two next states of the same growing reply, taken in turn: each update re-renders only the open tail.
        _updates = [_reply + "The next sentence is being wri", _reply + "The next sentence is being written"];
        _growing = new IncrementalMarkdown(_markdown);
        _growing.Render(_updates[0], complete: false);
    }

    /// <summary>Upstream bytes to SSE bytes for one event: parse, record, number, hand to a watcher, format.</summary>
    [Benchmark(OperationsPerInvoke = EventsPerRelay)]
    public async Task RelayOneEvent()
    {
        var wire = new Pipe();
        await wire.Writer.WriteAsync(Start);
        var upstream = new AnthropicStream(new HttpResponseMessage(HttpStatusCode.OK), wire.Reader.AsStream(), TimeSpan.FromMinutes(1), TimeProvider.System);
        var started = await upstream.ReadStartAsync();
        var rows = ReplyRows.Create("user", new Agent { Id = "agent", Name = "Bench", Model = _price.Model }, _price,
            new Conversation { Id = "conversation", OwnerId = "user", AgentId = "agent", Title = "Bench" }, true, 0, "Bench",
            new ConversationHistory.Prompt(null, [], 0, 0), 1, DateTimeOffset.UtcNow);
        var plan = new ReplyPlan("sk-bench", new WireRequest(_price.Model, 1_000, null, []), rows);
        var reply = new LiveReply(plan, new MetaEvent("conversation", rows.Trace.Id, rows.Reply!.Id, 0), NoCalls.Instance, upstream, started, 0,
            _registry.Reserve("user", null, maxLivePerOwner: 1), NoDatabase.Instance, TimeProvider.System, TimeSpan.FromMinutes(1), NullLogger.Instance);
        var http = new DefaultHttpContext();
        http.Response.Body = Stream.Null;
        var writing = new ServerSentEventsStreamResult(reply.WatchAsync(), TimeSpan.FromMinutes(1)).ExecuteAsync(http);
        var running = reply.RunAsync(CancellationToken.None);
        await wire.Writer.WriteAsync(Deltas);
        await wire.Writer.WriteAsync(Stop);
        await running;
        await writing;
    }

    [Benchmark]
    public CostBreakdown PriceOneMessage() => CostCalculator.Compute(new TokenUsage(1_250, 96, CacheReadTokens: 3_000), _price);

    /// <summary>A 4,000-token reply's markdown to safe HTML, whole: once when it completes (and, before, on every update).</summary>
    [Benchmark]
    public string RenderAReplyOf4000TokensWhole() => _markdown.ToSafeHtml(_reply);

    /// <summary>One update of a growing 4,000-token reply, as the page renders it now: the open tail only.</summary>
    [Benchmark]
    public string RenderOneUpdateOfA4000TokenReply() => _growing.Render(_updates[++_update % 2], complete: false);

    private sealed class NoCalls : IReplyUpstream
    {
        public static readonly NoCalls Instance = new();

        public int MaxContinuations => 0;

        public Task<AnthropicStream> ContinueAsync(WireMessage turn, CancellationToken ct) => throw new InvalidOperationException("No server tools, no pause.");

        public Task<int> CountOutputAsync(string traceId, string partialReply, TokenUsage reported, bool continuation, CancellationToken ct) =>
            Task.FromResult(reported.OutputTokens);
    }

    private sealed class NoDatabase : IReplyRecorder
    {
        public static readonly NoDatabase Instance = new();

        public Task RecordStartAsync(ReplyRows rows, ReplySnapshot snapshot, CancellationToken ct) => Task.CompletedTask;

        public Task<CostEvent> SettleAsync(ReplyRows rows, ReplySnapshot end, CancellationToken ct) =>
            Task.FromResult(new CostEvent(end.Usage.InputTokens, end.Usage.OutputTokens, 0, 0, 0m, 0m, rows.Session.ModelUsed, end.StopReason));

        public Task ContinueAsync(ReplyRows rows, ReplySnapshot paused, CancellationToken ct) => Task.CompletedTask;
    }
}

internal static class Micro
{
    public static IEnumerable<(string Name, double Nanoseconds, long Allocated)> Run()
    {
        var config = ManualConfig.CreateMinimumViable()
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableLogFile);
        var summary = BenchmarkRunner.Run<MicroBenchmarks>(config);
        return summary.Reports.Select(r => (
            r.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo,
            r.ResultStatistics?.Mean ?? double.NaN,
            r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase) ?? 0));
    }
}
