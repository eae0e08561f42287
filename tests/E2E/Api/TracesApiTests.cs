using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>The trace explorer: filtered, paged, newest first; every figure of one call; nobody sees another user's.</summary>
public sealed class TracesApiTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateTimeOffset At(string when) => DateTimeOffset.Parse(when + "Z");

    private static async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private static string[] Ids(JsonElement page) => [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!)];

    [Fact]
    public async Task FiltersNarrowTheListAndPagesComeNewestFirst()
    {
        using var ada = await app.NewUserAsync();
        var writer = await app.CreateAgentAsync(model: "claude-sonnet-4-6");
        var helper = await app.CreateAgentAsync(model: "claude-haiku-4-5");
        var oldest = await app.Database.InsertAsync(new(ada.Id, writer, "claude-sonnet-4-6", At("2025-07-01T08:00:00"), "success", 0.000315m, Input: 45, Output: 12));
        var failed = await app.Database.InsertAsync(new(ada.Id, writer, "claude-sonnet-4-6", At("2025-07-02T08:00:00"), "failed", 0.000003m, Input: 1));
        var cheap = await app.Database.InsertAsync(new(ada.Id, helper, "claude-haiku-4-5", At("2025-07-03T08:00:00"), "success", 0.000010m, Input: 5, Output: 1));
        var stopped = await app.Database.InsertAsync(new(ada.Id, helper, "claude-haiku-4-5", At("2025-07-03T23:59:59"), "cancelled", 0.002000m, Input: 9, Output: 400, CostEstimated: true));

        Ids(await GetAsync(ada.Client, "/api/traces")).ShouldBe([stopped, cheap, failed, oldest]);
        Ids(await GetAsync(ada.Client, "/api/traces?status=failed")).ShouldBe([failed]);
        Ids(await GetAsync(ada.Client, $"/api/traces?agentId={helper}")).ShouldBe([stopped, cheap]);
        Ids(await GetAsync(ada.Client, "/api/traces?model=claude-sonnet-4-6")).ShouldBe([failed, oldest]);
        Ids(await GetAsync(ada.Client, "/api/traces?from=2025-07-02&to=2025-07-03")).ShouldBe([stopped, cheap, failed]);
        Ids(await GetAsync(ada.Client, "/api/traces?minCost=0.00001&maxCost=0.000315")).ShouldBe([cheap, oldest]);

        var second = await GetAsync(ada.Client, "/api/traces?page=2&pageSize=3");
        Ids(second).ShouldBe([oldest]);
        second.GetProperty("total").GetInt32().ShouldBe(4);
        var item = (await GetAsync(ada.Client, "/api/traces?status=cancelled")).GetProperty("items")[0];
        item.GetProperty("cost").GetDecimal().ShouldBe(0.002m);
        item.GetProperty("costEstimated").GetBoolean().ShouldBeTrue();
        item.GetProperty("model").GetString().ShouldBe("claude-haiku-4-5");
    }

    [Fact]
    public async Task OneTraceShowsItsTimingsTokensPriceAndUpstreamIdsAsRecorded()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario
        {
            Chunks = ["One ", "two ", "three."], ChunkDelay = TimeSpan.FromMilliseconds(30), StopReason = "max_tokens",
            Usage = new FakeUsage(40, 9, CacheCreation5mTokens: 100, CacheCreation1hTokens: 20, CacheReadTokens: 300),
        });
        var agent = await app.CreateAgentAsync(model: "claude-sonnet-4-6");
        using var response = await user.SendAsync(agent, "Count to three", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        var cost = events.Single(e => e.Type == "cost").Data.GetProperty("totalCost").GetDecimal();

        var trace = await GetAsync(user.Client, $"/api/traces/{traceId}");

        trace.GetProperty("status").GetString().ShouldBe("completed");
        trace.GetProperty("conversationId").GetString().ShouldBe(events[0].Data.GetProperty("conversationId").GetString());
        trace.GetProperty("instruction").GetString().ShouldBe("Count to three");
        var tokens = trace.GetProperty("tokens");
        (tokens.GetProperty("input").GetInt32(), tokens.GetProperty("cacheWrite5m").GetInt32(), tokens.GetProperty("cacheWrite1h").GetInt32(),
            tokens.GetProperty("cacheRead").GetInt32(), tokens.GetProperty("output").GetInt32(), tokens.GetProperty("total").GetInt32())
            .ShouldBe((40, 100, 20, 300, 9, 469));
        trace.GetProperty("cost").GetDecimal().ShouldBe(cost);
        // 40 × $3 + 100 × $3.75 + 20 × $6 + 300 × $0.30 + 9 × $15, per million.
        cost.ShouldBe(0.00084m);
        var price = trace.GetProperty("price");
        (price.GetProperty("inputPerMTok").GetDecimal(), price.GetProperty("outputPerMTok").GetDecimal()).ShouldBe((3m, 15m));
        trace.GetProperty("stopReason").GetString().ShouldBe("max_tokens");
        trace.GetProperty("upstreamRequestId").GetString()!.ShouldStartWith("req_");
        trace.GetProperty("upstreamMessageId").GetString()!.ShouldStartWith("msg_");
        var row = await app.Database.SingleAsync("SELECT \"timeToFirstTokenMs\", \"durationMs\" FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId);
        trace.GetProperty("timeToFirstTokenMs").GetInt32().ShouldBe((int)row["timeToFirstTokenMs"]!);
        trace.GetProperty("durationMs").GetInt32().ShouldBe((int)row["durationMs"]!);
        var streamed = (int)row["durationMs"]! - (int)row["timeToFirstTokenMs"]!;
        trace.GetProperty("outputTokensPerSecond").GetDouble().ShouldBe(Math.Round(9 / (streamed / 1000.0), 1));
        trace.GetProperty("error").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task AFailedTraceShowsItsError()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { Chunks = ["Partial"], ErrorAfterChunks = 1 });
        var agent = await app.CreateAgentAsync();
        using var response = await user.SendAsync(agent, "Fail please", ct: Ct);
        var traceId = (await SseReader.ReadAllAsync(response, Ct))[0].Data.GetProperty("traceId").GetString()!;

        var trace = await GetAsync(user.Client, $"/api/traces/{traceId}");

        trace.GetProperty("status").GetString().ShouldBe("failed");
        trace.GetProperty("error").GetString()!.ShouldContain("overloaded_error");
    }

    [Fact]
    public async Task AnotherUsersTraceIs404AndTheirTracesAreNotListedButAnAdminSeesAll()
    {
        using var ada = await app.NewUserAsync();
        using var bob = await app.NewUserAsync();
        var agent = await app.CreateAgentAsync();
        var adas = await app.Database.InsertAsync(new(ada.Id, agent, "claude-sonnet-4-6", At("2025-08-01T08:00:00"), "success", 0.0001m, Input: 1));

        using var peek = await bob.Client.GetAsync($"/api/traces/{adas}", Ct);
        peek.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await peek.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString().ShouldBe($"Trace with ID {adas} not found");
        Ids(await GetAsync(bob.Client, $"/api/traces?userId={ada.Id}")).ShouldBeEmpty();

        using var admin = await app.AdminAsync();
        (await GetAsync(admin, $"/api/traces/{adas}")).GetProperty("userEmail").GetString().ShouldBe(ada.Email);
        Ids(await GetAsync(admin, $"/api/traces?userId={ada.Id}")).ShouldBe([adas]);
    }

    [Theory]
    [InlineData("status=done", "status")]
    [InlineData("from=2025-13-01", "from")]
    [InlineData("from=2025-07-02&to=2025-07-01", "from")]
    [InlineData("minCost=-1", "minCost")]
    [InlineData("minCost=cheap", "minCost")]
    [InlineData("minCost=2&maxCost=1", "minCost")]
    [InlineData("page=0", "page")]
    [InlineData("pageSize=101", "pageSize")]
    public async Task BadFiltersAre400NamingTheField(string query, string field)
    {
        using var user = await app.NewUserAsync();
        using var response = await user.Client.GetAsync($"/api/traces?{query}", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue();
    }
}
