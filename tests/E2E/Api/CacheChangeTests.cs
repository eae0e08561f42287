using System.Net;
using System.Net.Http.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using CommandCenter.Services.Data;
using Npgsql;

namespace CommandCenter.E2E.Api;

/// <summary>
/// Agents, prices and sign-ins are cached per instance; a change made anywhere (another instance, or by hand in the
/// database) must reach every instance's cache at once, not when the entry happens to expire.
/// </summary>
public sealed class CacheChangeTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnAgentChangedByHandInTheDatabaseIsNoLongerUsedByAnInstanceThatCachedIt()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var agentId = await app.CreateAgentAsync();
        await using var other = app.StartAnotherInstance();
        using var client = other.CreateClient(await other.LoginAsync(user.Email, user.Password));
        using (var first = await SendAsync(client, agentId))
        {
            first.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await SseReader.ReadAllAsync(first, Ct)).Last().Type.ShouldBe("done");
        }

        var evicted = other.EvictedAsync($"agent:{agentId}");
        await using (var connection = await app.Database.OpenAsync())
        await using (var deactivate = new NpgsqlCommand("UPDATE agents SET status = 'INACTIVE' WHERE id = $1", connection) { Parameters = { new() { Value = agentId } } })
        {
            await deactivate.ExecuteNonQueryAsync(Ct);
        }

        await evicted;
        using var second = await SendAsync(client, agentId);
        second.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await second.Content.ReadAsStringAsync(Ct)).ShouldContain("not active");
    }

    [Fact]
    public async Task AnAgentAndAPriceChangedThroughOneInstanceAreUsedByTheOtherAtOnce()
    {
        var model = $"claude-test-{Guid.NewGuid():N}"[..30];
        using var admin = await app.AdminAsync();
        (await admin.PostAsJsonAsync("/api/prices", new { model, inputPerMTok = 1m, cacheWrite5mPerMTok = 1.25m, cacheWrite1hPerMTok = 2m, cacheReadPerMTok = 0.1m, outputPerMTok = 2m, effectiveFrom = DateTimeOffset.UtcNow.AddDays(-1) }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { Usage = new FakeUsage(1_000, 1_000) });
        var agentId = await app.CreateAgentAsync(model: model, systemPrompt: "Be terse.");
        await using var other = app.StartAnotherInstance();
        using var onOther = user.Via(other.BaseUrl);
        (await CostAsync(onOther, agentId)).ShouldBe(0.003m, "the other instance has cached the agent and the price");

        var agent = new { name = $"Renamed {Guid.NewGuid():N}", description = "Changed", model, systemPrompt = "Now be verbose.", maxTokens = 512, status = "ACTIVE" };
        var agentEvicted = other.EvictedAsync($"agent:{agentId}");
        var priceEvicted = other.EvictedAsync($"price:{model}");
        (await admin.PutAsJsonAsync($"/api/agents/{agentId}", agent, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await admin.PostAsJsonAsync("/api/prices", new { model, inputPerMTok = 10m, cacheWrite5mPerMTok = 12.5m, cacheWrite1hPerMTok = 20m, cacheReadPerMTok = 1m, outputPerMTok = 20m }, Ct)).StatusCode.ShouldBe(HttpStatusCode.Created);
        await Task.WhenAll(agentEvicted, priceEvicted);

        (await CostAsync(onOther, agentId)).ShouldBe(0.03m);
        app.Fake.RequestsFor(user.ApiKey!)[^1].Body.ShouldContain("Now be verbose.");
    }

    private static async Task<decimal> CostAsync(TestUser user, string agentId)
    {
        using var response = await user.SendAsync(agentId, "Hello", ct: Ct);
        return (await SseReader.ReadAllAsync(response, Ct)).Single(e => e.Type == "cost").Data.GetProperty("totalCost").GetDecimal();
    }

    [Fact]
    public async Task AnAccountDisabledOnOneInstanceIsRefusedAtOnceByAnotherThatHadJustLetItIn()
    {
        using var user = await app.NewUserAsync();
        await using var other = app.StartAnotherInstance();
        using var client = other.CreateClient(await other.LoginAsync(user.Email, user.Password));
        (await client.GetAsync("/api/conversations", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var admin = await app.AdminAsync();
        var evicted = other.EvictedAsync($"sign-in:{user.Id}");
        (await admin.PostAsync($"/api/users/{user.Id}/disable", null, Ct)).EnsureSuccessStatusCode();

        await evicted;
        (await client.GetAsync("/api/conversations", Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AfterItsListeningConnectionIsCutAnInstanceListensAgainAndHearsLaterChanges()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var agentId = await app.CreateAgentAsync();
        await using var other = app.StartAnotherInstance();
        using var client = other.CreateClient(await other.LoginAsync(user.Email, user.Password));

        await using var connection = await app.Database.OpenAsync();
        var listeningAgain = other.LostAndListeningAgainAsync();
        await using (var cut = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
            connection) { Parameters = { new() { Value = DatabaseListener.ApplicationName } } })
        {
            // Both instances listen.
            ((long)(await cut.ExecuteScalarAsync(Ct))!).ShouldBe(2);
        }

        await listeningAgain;
        using (var first = await SendAsync(client, agentId))
        {
            first.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await SseReader.ReadAllAsync(first, Ct)).Last().Type.ShouldBe("done");
        }

        var evicted = other.EvictedAsync($"agent:{agentId}");
        await using (var deactivate = new NpgsqlCommand("UPDATE agents SET status = 'INACTIVE' WHERE id = $1", connection) { Parameters = { new() { Value = agentId } } })
        {
            await deactivate.ExecuteNonQueryAsync(Ct);
        }

        await evicted;
        using var second = await SendAsync(client, agentId);
        second.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string agentId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/command-center/message")
        {
            Content = JsonContent.Create(new { agentId, conversationId = (string?)null, message = "Hello" }),
        };
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
    }
}
