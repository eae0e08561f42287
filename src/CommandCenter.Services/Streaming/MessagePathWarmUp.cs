using CommandCenter.Services.Agents;
using CommandCenter.Services.Anthropic;
using CommandCenter.Services.AnthropicKeys;
using CommandCenter.Services.Data;
using CommandCenter.Services.Models;
using CommandCenter.Services.Pricing;
using CommandCenter.Services.Validation;
using Microsoft.EntityFrameworkCore;

namespace CommandCenter.Services.Streaming;

/// <summary>
/// Runs the message path once without a user or an upstream, so that the first real message after start does not pay
/// for compiling it: the reads (for ids that do not exist), then a canned reply through the Anthropic stream reader, the
/// reply reader and a broadcast, recorded nowhere.
/// </summary>
public sealed class MessagePathWarmUp(
    IDbContextFactory<CommandCenterDbContext> dbFactory, AnthropicKeyVault keys, AgentCatalog agents, ModelCatalog models, PriceBook prices, TimeProvider clock)
{
    private const string Nobody = "warm-up";

    private const string CannedReply =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_warm\",\"model\":\"warm-up\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n" +
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"warm\"}}\n\n" +
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":1}}\n\n" +
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

    /// <summary>Returns the canned reply's events, for the caller to format as SSE.</summary>
    public async Task<IReadOnlyList<ReplyEvent>> RunAsync(CancellationToken ct)
    {
        InvalidInputException.ErrorsOf(new SendMessageRequest(Nobody, Nobody, Nobody));
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await keys.RevealAsync(db, Nobody, clock.GetUtcNow(), ct);
            await agents.FindForReplyAsync(db, Nobody, ct);
            await models.FindAsync(db, Nobody, ct);
            await prices.FindCurrentAsync(db, Nobody, ct);
            await db.Conversations.AsNoTracking().SingleOrDefaultAsync(c => c.Id == Nobody && c.OwnerId == Nobody, ct);
            await db.Messages.AsNoTracking().Where(m => m.ConversationId == Nobody).OrderBy(m => m.Position).ToListAsync(ct);
        }

        await using var upstream = new AnthropicStream(
            new HttpResponseMessage(System.Net.HttpStatusCode.OK), new MemoryStream(System.Text.Encoding.UTF8.GetBytes(CannedReply)), TimeSpan.FromMinutes(1), clock);
        var reader = new ReplyReader(ThinkingDeltas.Hidden, keepsTurn: false, clock);
        reader.BeginCall(clock.GetTimestamp());
        reader.Read(await upstream.ReadStartAsync());
        var broadcast = new ReplyBroadcast(new MetaEvent(Nobody, Nobody, Nobody, 0), clock, TimeSpan.FromMinutes(1), () => { });
        var watching = broadcast.WatchAsync(0, ct);
        while (await upstream.MoveNextAsync())
        {
            if (reader.Read(upstream.Current) is { } ours)
            {
                broadcast.Tell(ours);
            }
        }

        var end = reader.Snapshot(ReplyOutcome.Completed, null);
        var cost = CostCalculator.Compute(end.Usage, new ModelPrice { Model = Nobody, InputPerMTok = 1m, OutputPerMTok = 1m });
        broadcast.Close(new CostEvent(end.Usage.InputTokens, end.Usage.OutputTokens, 0, 0, cost.TotalCost, cost.CacheSavings, Nobody, end.StopReason), DoneEvent.Instance);
        var events = new List<ReplyEvent>();
        await foreach (var e in watching)
        {
            events.Add(e);
        }

        return events;
    }
}
