using System.IO.Pipelines;
using System.Net;
using System.Text;
using CommandCenter.Services.Agents;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.Conversations;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Streaming;
using CommandCenter.Web.Streaming;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CommandCenter.Unit.Services;

/// <summary>Alone, so that no other test's allocations are counted with the relay's.</summary>
[CollectionDefinition(nameof(Alone), DisableParallelization = true)]
public sealed class Alone;

/// <summary>
/// Guards the relay's cost per event (an upstream delta parsed, read, numbered, told to a watcher and written as SSE): not
/// a timing, the bytes it allocates, which a change that doubles them fails. bench/RESULTS.md has the figures.
/// </summary>
[Collection(nameof(Alone))]
public sealed class RelayAllocationTests
{
    private const int Events = 2_000;

    // Measured on 2026-12-05 at 1,347 bytes per event (the micro-benchmark's RelayOneEvent says the same); twice that fails.
    private const long MaxBytesPerEvent = 2_700;

    [Fact]
    public async Task RelayingAnEventToAWatcherAsSseAllocatesNoMoreThanItDid()
    {
        await RelayAsync(); // compiled and warmed, so that only the steady state is counted
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await RelayAsync();
        var perEvent = (GC.GetTotalAllocatedBytes(precise: true) - before) / Events;

        perEvent.ShouldBeLessThanOrEqualTo(MaxBytesPerEvent);
    }

    private static readonly byte[] Start = Encoding.UTF8.GetBytes(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude-sonnet-4-6\",\"usage\":{\"input_tokens\":40,\"output_tokens\":1}}}\n\n");

    private static readonly byte[] Deltas = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, Events).Select(i =>
        $"event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"word{i} \"}}}}\n\n")));

    private static readonly byte[] Stop = Encoding.UTF8.GetBytes(
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":2000}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");

    private static async Task RelayAsync()
    {
        var price = new ModelPrice { Id = 1, Model = "claude-sonnet-4-6", InputPerMTok = 3m, OutputPerMTok = 15m };
        var registry = new LiveReplies(Options.Create(new StreamingOptions()), Options.Create(new ShutdownOptions()), TimeProvider.System, NullLogger<LiveReplies>.Instance);
        var wire = new Pipe();
        await wire.Writer.WriteAsync(Start);
        var upstream = new AnthropicStream(new HttpResponseMessage(HttpStatusCode.OK), wire.Reader.AsStream(), TimeSpan.FromMinutes(1), TimeProvider.System);
        var started = await upstream.ReadStartAsync();
        var rows = ReplyRows.Create("user", new Agent { Id = "agent", Name = "Guard", Model = price.Model }, price,
            new Conversation { Id = "conversation", OwnerId = "user", AgentId = "agent", Title = "Guard" }, true, 0, "Guard",
            new ConversationHistory.Prompt(null, [], 0, 0), 1, DateTimeOffset.UtcNow);
        var plan = new ReplyPlan("sk-guard", new WireRequest(price.Model, 4_000, null, []), rows);
        var reply = new LiveReply(plan, new MetaEvent("conversation", rows.Trace.Id, rows.Reply!.Id, 0), NoCalls.Instance, upstream, started, 0,
            registry.Reserve("user", null, maxLivePerOwner: 1), NoDatabase.Instance, TimeProvider.System, TimeSpan.FromMinutes(1), NullLogger.Instance);
        var http = new DefaultHttpContext();
        http.Response.Body = Stream.Null;
        var writing = new ServerSentEventsStreamResult(reply.WatchAsync(), TimeSpan.FromMinutes(1)).ExecuteAsync(http);
        var running = reply.RunAsync(CancellationToken.None);
        await wire.Writer.WriteAsync(Deltas);
        await wire.Writer.WriteAsync(Stop);
        await running;
        await writing;
    }
}
