using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>Prices are data with effective dates; a trace keeps the rates it was charged; long requests pay the long-context tier.</summary>
public sealed class PricesApiTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(TestUser User, string AgentId)> UserOnModelAsync(string model, FakeScenario scenario) =>
        (await app.NewUserAnsweredByAsync(scenario), await app.CreateAgentAsync(model: model));

    private static async Task<(string TraceId, decimal Cost)> SendAsync(TestUser user, string agentId)
    {
        using var response = await user.SendAsync(agentId, "Hello", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);
        return (events[0].Data.GetProperty("traceId").GetString()!, events.Single(e => e.Type == "cost").Data.GetProperty("totalCost").GetDecimal());
    }

    [Fact]
    public async Task ARequestAboveTheLongContextThresholdPaysTheTierRatesForAllOfItAndItsTraceRecordsThem()
    {
        // 150,000 plain + 60,000 read from the cache: 210,000 input tokens, above Sonnet 4.5's 200,000.
        var (user, agent) = await UserOnModelAsync("claude-sonnet-4-5", new FakeScenario { Usage = new FakeUsage(150_000, 1_000, CacheReadTokens: 60_000) });
        using var _ = user;

        var (traceId, cost) = await SendAsync(user, agent);

        // 150,000 × $6 + 60,000 × $0.60 + 1,000 × $22.50, per million.
        cost.ShouldBe(0.9585m);
        var session = await app.Database.SingleAsync("SELECT cost, \"inputPricePerMTok\", \"outputPricePerMTok\" FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId);
        (session["cost"], session["inputPricePerMTok"], session["outputPricePerMTok"]).ShouldBe((0.9585m, 6m, 22.5m));
        var trace = await user.Client.GetFromJsonAsync<JsonElement>($"/api/traces/{traceId}", Ct);
        trace.GetProperty("price").GetProperty("inputPerMTok").GetDecimal().ShouldBe(6m);
    }

    [Fact]
    public async Task WebSearchesArePricedFromTheirRowAndANewFeeLeavesEarlierTracesAsTheyWere()
    {
        // 45 in + 12 out on Sonnet 4.5 ($0.000315) and 2 web searches at the seeded $10 per 1,000.
        var (user, agent) = await UserOnModelAsync("claude-sonnet-4-5", new FakeScenario { Usage = new FakeUsage(45, 12, WebSearchRequests: 2) });
        using var _ = user;

        using (var response = await user.SendAsync(agent, "Search for it", ct: Ct))
        {
            var events = await SseReader.ReadAllAsync(response, Ct);
            var cost = events.Single(e => e.Type == "cost").Data;
            cost.GetProperty("totalCost").GetDecimal().ShouldBe(0.020315m);
            cost.GetProperty("toolFees").GetDecimal().ShouldBe(0.02m);
            cost.GetProperty("serverToolUse").GetProperty("webSearchRequests").GetInt32().ShouldBe(2);
        }

        var first = await app.Database.SingleAsync(
            "SELECT s.\"taskTraceId\", s.cost, s.\"toolFees\", s.\"webSearchRequests\", s.\"webSearchPerThousand\", t.\"totalCost\" FROM trace_sessions s JOIN task_trace t ON t.id = s.\"taskTraceId\" WHERE s.\"ownerId\" = $1", user.Id);
        (first["cost"], first["toolFees"], first["webSearchRequests"], first["webSearchPerThousand"], first["totalCost"])
            .ShouldBe(((object?)0.020315m, (object?)0.02m, (object?)2, (object?)10m, (object?)0.020315m));
        var usage = await user.Client.GetFromJsonAsync<JsonElement>("/api/usage", Ct);
        (usage.GetProperty("toolFees").GetDecimal(), usage.GetProperty("webSearchRequests").GetInt64(), usage.GetProperty("cost").GetDecimal()).ShouldBe((0.02m, 2L, 0.020315m));

        // A dearer fee from now on: the next reply pays it, the first keeps what it was charged.
        using var admin = await app.AdminAsync();
        var added = await admin.PostAsJsonAsync("/api/prices/tools", new { tool = "web_search", perThousandRequests = 25m }, Ct);
        added.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await admin.PostAsJsonAsync("/api/prices/tools", new { tool = "web_fetch", perThousandRequests = 1m }, Ct)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await user.Client.PostAsJsonAsync("/api/prices/tools", new { tool = "web_search", perThousandRequests = 0m }, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await SendAsync(user, agent)).Cost.ShouldBe(0.050315m);
        (await app.Database.SingleAsync("SELECT cost FROM trace_sessions WHERE \"taskTraceId\" = $1", first["taskTraceId"]!))["cost"].ShouldBe(0.020315m);
        await admin.PostAsJsonAsync("/api/prices/tools", new { tool = "web_search", perThousandRequests = 10m }, Ct);
    }

    [Fact]
    public async Task ARequestAtTheThresholdPaysTheBaseRates()
    {
        var (user, agent) = await UserOnModelAsync("claude-sonnet-4-5", new FakeScenario { Usage = new FakeUsage(200_000, 1_000) });
        using var _ = user;

        (await SendAsync(user, agent)).Cost.ShouldBe(0.615m);
    }

    [Fact]
    public async Task OnlySonnet45IsSeededWithATier()
    {
        var tiers = await app.Database.QueryAsync(
            "SELECT model, \"longContextThreshold\", \"longContextInputPerMTok\", \"longContextOutputPerMTok\" FROM model_prices WHERE \"longContextThreshold\" IS NOT NULL AND model NOT LIKE 'claude-test-%'");
        tiers.Select(t => (t["model"], t["longContextThreshold"], t["longContextInputPerMTok"], t["longContextOutputPerMTok"]))
            .ShouldBe([("claude-sonnet-4-5", (object?)200_000, (object?)6m, (object?)22.5m)]);
    }

    [Fact]
    public async Task ANewPriceChargesNewRepliesAndLeavesEarlierTracesAsTheyWere()
    {
        var model = $"claude-test-{Guid.NewGuid():N}"[..30];
        using var admin = await app.AdminAsync();
        (await admin.PostAsJsonAsync("/api/prices", new { model, inputPerMTok = 1m, outputPerMTok = 2m, effectiveFrom = DateTimeOffset.UtcNow.AddDays(-1) }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        var (user, agent) = await UserOnModelAsync(model, new FakeScenario { Usage = new FakeUsage(1_000, 1_000) });
        using var _ = user;
        var (before, beforeCost) = await SendAsync(user, agent);
        beforeCost.ShouldBe(0.003m);

        (await admin.PostAsJsonAsync("/api/prices", new { model, inputPerMTok = 10m, outputPerMTok = 20m }, Ct)).StatusCode.ShouldBe(HttpStatusCode.Created);
        var (_, afterCost) = await SendAsync(user, agent);

        afterCost.ShouldBe(0.03m);
        var earlier = await app.Database.SingleAsync(
            "SELECT t.\"totalCost\", s.cost, s.\"inputPricePerMTok\", s.\"outputPricePerMTok\" FROM task_trace t JOIN trace_sessions s ON s.\"taskTraceId\" = t.id WHERE t.id = $1", before);
        (earlier["totalCost"], earlier["cost"], earlier["inputPricePerMTok"], earlier["outputPricePerMTok"]).ShouldBe((0.003m, 0.003m, 1m, 2m));
    }

    [Fact]
    public async Task APriceWithHalfATierIsRefusedAndNothingIsAdded()
    {
        var model = $"claude-test-{Guid.NewGuid():N}"[..30];
        using var admin = await app.AdminAsync();

        using var response = await admin.PostAsJsonAsync("/api/prices", new { model, inputPerMTok = 1m, outputPerMTok = 2m, longContextThreshold = 100_000, longContextInputPerMTok = 2m }, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").GetProperty("longContextThreshold")[0].GetString()
            .ShouldBe("A long-context tier needs its threshold and both its prices.");
        (await app.Database.QueryAsync("SELECT 1 FROM model_prices WHERE model = $1", model)).ShouldBeEmpty();
    }

    [Fact]
    public async Task APriceWithATierIsListedWithIt()
    {
        var model = $"claude-test-{Guid.NewGuid():N}"[..30];
        using var admin = await app.AdminAsync();
        (await admin.PostAsJsonAsync("/api/prices", new { model, inputPerMTok = 1m, outputPerMTok = 2m, longContextThreshold = 100_000, longContextInputPerMTok = 2m, longContextOutputPerMTok = 3m }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Created);

        var listed = (await admin.GetFromJsonAsync<JsonElement>("/api/prices", Ct)).EnumerateArray().Single(p => p.GetProperty("model").GetString() == model);

        (listed.GetProperty("longContextThreshold").GetInt32(), listed.GetProperty("longContextInputPerMTok").GetDecimal(), listed.GetProperty("longContextOutputPerMTok").GetDecimal())
            .ShouldBe((100_000, 2m, 3m));
    }
}
