using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>Prices are data with effective dates, five rates each; a trace keeps the rates it was charged; long prompts pay the prompt-length tier.</summary>
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
    public async Task AHaiku55RequestAboveItsTierPaysTheHigherCardForEveryTokenAndItsTraceRecordsTheRates()
    {
        // 150,000 plain + 100,000 read from the cache: a 250,000-token prompt, above Haiku 5.5's 100,000.
        var (user, agent) = await UserOnModelAsync("claude-haiku-5-5", new FakeScenario { Usage = new FakeUsage(150_000, 1_000, CacheReadTokens: 100_000) });
        using var _ = user;

        var (traceId, cost) = await SendAsync(user, agent);

        // 150,000 × $0.50 + 100,000 × $0.05 + 1,000 × $2.50, per million.
        cost.ShouldBe(0.0825m);
        var session = await app.Database.SingleAsync(
            "SELECT cost, \"inputPricePerMTok\", \"cacheReadPricePerMTok\", \"outputPricePerMTok\", \"priceTierApplied\" FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId);
        session.Values.ShouldBe([0.0825m, 0.5m, 0.05m, 2.5m, true]);
        var trace = await user.Client.GetFromJsonAsync<JsonElement>($"/api/traces/{traceId}", Ct);
        var price = trace.GetProperty("price");
        (price.GetProperty("inputPerMTok").GetDecimal(), price.GetProperty("cacheReadPerMTok").GetDecimal(), price.GetProperty("tierApplied").GetBoolean()).ShouldBe((0.5m, 0.05m, true));
        trace.GetProperty("costs").GetProperty("cacheRead").GetDecimal().ShouldBe(0.005m);
    }

    [Fact]
    public async Task OnOpus55AHundredThousandCacheReadTokensCostTwoCentsInTheCostEventTheTraceAndTheUsageReport()
    {
        var (user, agent) = await UserOnModelAsync("claude-opus-5-5", new FakeScenario { Usage = new FakeUsage(1_000, 100, CacheReadTokens: 100_000) });
        using var _ = user;

        using var response = await user.SendAsync(agent, "Hello", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);
        var cost = events.Single(e => e.Type == "cost").Data;

        // 1,000 × $4 + 100,000 × $0.20 + 100 × $20, per million.
        cost.GetProperty("totalCost").GetDecimal().ShouldBe(0.026m);
        cost.GetProperty("costs").GetProperty("cacheRead").GetDecimal().ShouldBe(0.02m);
        var traceId = events[0].Data.GetProperty("traceId").GetString();
        (await user.Client.GetFromJsonAsync<JsonElement>($"/api/traces/{traceId}", Ct)).GetProperty("costs").GetProperty("cacheRead").GetDecimal().ShouldBe(0.02m);
        var usage = await user.Client.GetFromJsonAsync<JsonElement>("/api/usage", Ct);
        (usage.GetProperty("cost").GetDecimal(), usage.GetProperty("costs").GetProperty("cacheRead").GetDecimal()).ShouldBe((0.026m, 0.02m));
        var csv = (await user.Client.GetStringAsync("/api/usage.csv", Ct)).Split("\r\n");
        var column = Array.IndexOf(csv[0].Split(','), "cacheReadCost");
        decimal.Parse(csv[1].Split(',')[column], System.Globalization.CultureInfo.InvariantCulture).ShouldBe(0.02m);
    }

    [Fact]
    public async Task WebSearchesArePricedFromTheirRowAndANewFeeLeavesEarlierTracesAsTheyWere()
    {
        // 45 in + 12 out on Sonnet 4.6 ($0.000315) and 2 web searches at the seeded $10 per 1,000.
        var (user, agent) = await UserOnModelAsync("claude-sonnet-4-6", new FakeScenario { Usage = new FakeUsage(45, 12, WebSearchRequests: 2) });
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
    public async Task AHaiku55PromptOfExactly100000TokensPaysTheBaseRates()
    {
        var (user, agent) = await UserOnModelAsync("claude-haiku-5-5", new FakeScenario { Usage = new FakeUsage(100_000, 1_000) });
        using var _ = user;

        (await SendAsync(user, agent)).Cost.ShouldBe(0.0105m);
    }

    [Fact]
    public async Task TheTiersSeededAreSonnet45sHistoricalOneAndHaiku55s()
    {
        var tiers = await app.Database.QueryAsync(
            """
            SELECT model, "tierThreshold", "tierInputPerMTok", "tierCacheWrite5mPerMTok", "tierCacheWrite1hPerMTok", "tierCacheReadPerMTok", "tierOutputPerMTok"
            FROM model_prices WHERE "tierThreshold" IS NOT NULL AND model NOT LIKE 'claude-test-%' ORDER BY model
            """);
        tiers.Select(t => t.Values.ToArray()).ShouldBe(
        [
            ["claude-haiku-5-5", 100_000, 0.5m, 0.625m, 1m, 0.05m, 2.5m],
            ["claude-sonnet-4-5", 200_000, 6m, 7.5m, 12m, 0.6m, 22.5m],
        ]);
    }

    /// <summary>Each model callable today has a price in effect, at ANTHROPIC.md §1b's rates (source O1).</summary>
    [Theory]
    [InlineData("claude-fable-5-2", 8, 10, 16, 0.20, 40)]
    [InlineData("claude-mythos-5-2", 8, 10, 16, 0.20, 40)]
    [InlineData("claude-fable-5-1", 10, 12.50, 20, 0.25, 50)]
    [InlineData("claude-fable-5", 10, 12.50, 20, 1, 50)]
    [InlineData("claude-opus-5-5", 4, 5, 8, 0.20, 20)]
    [InlineData("claude-opus-5", 5, 6.25, 10, 0.50, 25)]
    [InlineData("claude-opus-4-8", 5, 6.25, 10, 0.50, 25)]
    [InlineData("claude-opus-4-7", 5, 6.25, 10, 0.50, 25)]
    [InlineData("claude-opus-4-6", 5, 6.25, 10, 0.50, 25)]
    [InlineData("claude-opus-4-5", 5, 6.25, 10, 0.50, 25)]
    [InlineData("claude-sonnet-5-5", 2, 2.50, 4, 0.10, 10)]
    [InlineData("claude-sonnet-5", 2, 2.50, 4, 0.20, 10)]
    [InlineData("claude-sonnet-4-6", 3, 3.75, 6, 0.30, 15)]
    [InlineData("claude-haiku-5-5", 0.10, 0.125, 0.20, 0.01, 0.50)]
    [InlineData("claude-haiku-4-5", 1, 1.25, 2, 0.10, 5)]
    public async Task AFreshInstallPricesEachCurrentModelAtTodaysRates(string model, double input, double write5m, double write1h, double read, double output)
    {
        using var admin = await app.AdminAsync();

        var price = (await admin.GetFromJsonAsync<JsonElement>("/api/prices", Ct)).EnumerateArray().Single(p => p.GetProperty("model").GetString() == model);

        (price.GetProperty("inputPerMTok").GetDecimal(), price.GetProperty("cacheWrite5mPerMTok").GetDecimal(), price.GetProperty("cacheWrite1hPerMTok").GetDecimal(),
            price.GetProperty("cacheReadPerMTok").GetDecimal(), price.GetProperty("outputPerMTok").GetDecimal())
            .ShouldBe(((decimal)input, (decimal)write5m, (decimal)write1h, (decimal)read, (decimal)output));
    }

    [Fact]
    public async Task ANewPriceChargesNewRepliesAndLeavesEarlierTracesAsTheyWere()
    {
        var model = $"claude-test-{Guid.NewGuid():N}"[..30];
        using var admin = await app.AdminAsync();
        (await admin.PostAsJsonAsync("/api/prices", new { model, inputPerMTok = 1m, cacheWrite5mPerMTok = 1.25m, cacheWrite1hPerMTok = 2m, cacheReadPerMTok = 0.1m, outputPerMTok = 2m, effectiveFrom = DateTimeOffset.UtcNow.AddDays(-1) }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        var (user, agent) = await UserOnModelAsync(model, new FakeScenario { Usage = new FakeUsage(1_000, 1_000) });
        using var _ = user;
        var (before, beforeCost) = await SendAsync(user, agent);
        beforeCost.ShouldBe(0.003m);

        (await admin.PostAsJsonAsync("/api/prices", new { model, inputPerMTok = 10m, cacheWrite5mPerMTok = 12.5m, cacheWrite1hPerMTok = 20m, cacheReadPerMTok = 1m, outputPerMTok = 20m }, Ct)).StatusCode.ShouldBe(HttpStatusCode.Created);
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

        using var response = await admin.PostAsJsonAsync("/api/prices", new
        {
            model, inputPerMTok = 1m, cacheWrite5mPerMTok = 1.25m, cacheWrite1hPerMTok = 2m, cacheReadPerMTok = 0.1m, outputPerMTok = 2m,
            tierThreshold = 100_000, tierInputPerMTok = 2m, tierOutputPerMTok = 3m,
        }, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").GetProperty("tierCacheWrite5mPerMTok")[0].GetString()
            .ShouldBe("A prompt-length tier needs its threshold and all five of its rates.");
        (await app.Database.QueryAsync("SELECT 1 FROM model_prices WHERE model = $1", model)).ShouldBeEmpty();
    }

    [Fact]
    public async Task APriceWithoutItsCacheRatesIsRefusedNamingEachAndNoMultipleIsAssumed()
    {
        var model = $"claude-test-{Guid.NewGuid():N}"[..30];
        using var admin = await app.AdminAsync();

        using var response = await admin.PostAsJsonAsync("/api/prices", new { model, inputPerMTok = 1m, outputPerMTok = 2m }, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        errors.EnumerateObject().Select(e => e.Name).Order().ShouldBe(["cacheReadPerMTok", "cacheWrite1hPerMTok", "cacheWrite5mPerMTok"]);
        (await app.Database.QueryAsync("SELECT 1 FROM model_prices WHERE model = $1", model)).ShouldBeEmpty();
    }

    [Fact]
    public async Task APriceWithATierIsListedWithIt()
    {
        var model = $"claude-test-{Guid.NewGuid():N}"[..30];
        using var admin = await app.AdminAsync();
        (await admin.PostAsJsonAsync("/api/prices", new
        {
            model, inputPerMTok = 1m, cacheWrite5mPerMTok = 1.25m, cacheWrite1hPerMTok = 2m, cacheReadPerMTok = 0.05m, outputPerMTok = 2m,
            tierThreshold = 100_000, tierInputPerMTok = 2m, tierCacheWrite5mPerMTok = 2.5m, tierCacheWrite1hPerMTok = 4m, tierCacheReadPerMTok = 0.1m, tierOutputPerMTok = 3m,
        }, Ct)).StatusCode.ShouldBe(HttpStatusCode.Created);

        var listed = (await admin.GetFromJsonAsync<JsonElement>("/api/prices", Ct)).EnumerateArray().Single(p => p.GetProperty("model").GetString() == model);

        (listed.GetProperty("cacheReadPerMTok").GetDecimal(), listed.GetProperty("tierThreshold").GetInt32(), listed.GetProperty("tierCacheReadPerMTok").GetDecimal(),
            listed.GetProperty("tierOutputPerMTok").GetDecimal()).ShouldBe((0.05m, 100_000, 0.1m, 3m));
    }
}
