using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>
/// Billing bugs the peers' trackers show, each through a real stream into the trace rows. (A disconnected stream priced
/// as one placeholder token: see <see cref="StoppedReplyCostTests"/>.)
/// </summary>
public sealed class PeerBugTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(decimal Cost, Dictionary<string, object?> Session, Dictionary<string, object?> Trace)> StreamAsync(FakeScenario scenario)
    {
        using var user = await app.NewUserAnsweredByAsync(scenario);
        var agent = await app.CreateAgentAsync(model: "claude-sonnet-4-6");
        using var response = await user.SendAsync(agent, "Hello", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        var session = await app.Database.SingleAsync(
            "SELECT \"tokensIn\", \"tokensOut\", \"cacheWriteTokens\", \"cacheWrite1hTokens\", \"cacheReadTokens\", cost FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId);
        var trace = await app.Database.SingleAsync("SELECT \"totalTokens\", \"totalCost\" FROM task_trace WHERE id = $1", traceId);
        return (events.Single(e => e.Type == "cost").Data.GetProperty("totalCost").GetDecimal(), session, trace);
    }

    [Fact]
    public async Task CacheReadsOnAStreamArePricedAtATenthOfTheInputRate()
    {
        // LiteLLM #11789: streamed cache reads billed at the full input rate.
        var (cost, session, _) = await StreamAsync(new FakeScenario { Usage = new FakeUsage(100, 10, CacheReadTokens: 10_000) });

        // 100 × $3 + 10,000 × $0.30 + 10 × $15, per million; at the full rate it would be $0.03045.
        cost.ShouldBe(0.00345m);
        session["cost"].ShouldBe(0.00345m);
    }

    [Fact]
    public async Task PlainInputNeverContainsCacheTokensAndNothingIsCountedTwice()
    {
        // LibreChat #13795: cache tokens counted twice, once inside input.
        var (_, session, trace) = await StreamAsync(new FakeScenario { Usage = new FakeUsage(100, 10, CacheCreation5mTokens: 2_000, CacheReadTokens: 10_000) });

        (session["tokensIn"], session["cacheWriteTokens"], session["cacheReadTokens"], session["tokensOut"]).ShouldBe(((object?)100, (object?)2_000, (object?)10_000, (object?)10));
        trace["totalTokens"].ShouldBe(12_110);
    }

    [Fact]
    public async Task MessageDeltaUsageReplacesTheStartsCountsNeverAddsToThem()
    {
        // Open WebUI #29064: usage chunks summed. The fake's message_delta repeats input (100) and reports output 10 after message_start's 1.
        var (cost, session, _) = await StreamAsync(new FakeScenario { Usage = new FakeUsage(100, 10), CumulativeUsageInDelta = true });

        (session["tokensIn"], session["tokensOut"]).ShouldBe(((object?)100, (object?)10));
        cost.ShouldBe(0.00045m);
    }

    [Fact]
    public async Task OneHourCacheWritesArePricedAtTwiceTheInputRate()
    {
        // Peers price 1-hour writes at the 5-minute rate (1.25×).
        var (cost, session, _) = await StreamAsync(new FakeScenario { Usage = new FakeUsage(0, 0, CacheCreation5mTokens: 1_000, CacheCreation1hTokens: 1_000) });

        (session["cacheWriteTokens"], session["cacheWrite1hTokens"]).ShouldBe(((object?)1_000, (object?)1_000));
        // 1,000 × $3.75 + 1,000 × $6, per million.
        cost.ShouldBe(0.00975m);
    }
}
