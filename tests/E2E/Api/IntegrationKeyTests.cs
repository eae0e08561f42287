using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

public sealed class IntegrationKeyTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(string Id, string Key)> CreateKeyAsync(HttpClient owner, object body)
    {
        using var response = await owner.PostAsJsonAsync("/api/api-keys", body, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (created.GetProperty("id").GetString()!, created.GetProperty("key").GetString()!);
    }

    private HttpClient ClientWithKey(string key, CommandCenterApp? instance = null)
    {
        var client = (instance ?? app).CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string agentId, string message, string? conversationId = null) =>
        await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/command-center/message")
        {
            Content = JsonContent.Create(new { agentId, conversationId, message }),
        }, HttpCompletionOption.ResponseHeadersRead, Ct);

    [Fact]
    public async Task AKeyIsShownOnceStoredHashedAndSendsMessagesAsItsOwnerOnTheMessageAndConversationApisOnly()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var agentId = await app.CreateAgentAsync();
        var (id, key) = await CreateKeyAsync(user.Client, new { name = "Support widget" });
        key.ShouldStartWith("cc_");
        key.Length.ShouldBe(67);

        var listed = (await user.Client.GetFromJsonAsync<JsonElement>("/api/api-keys", Ct)).EnumerateArray().ShouldHaveSingleItem();
        listed.GetProperty("prefix").GetString().ShouldBe(key[..9] + "…");
        listed.GetRawText().ShouldNotContain(key[9..]);
        var row = await app.Database.SingleAsync("SELECT hash, prefix FROM integration_keys WHERE id = $1", id);
        ((string)row["hash"]!).ShouldNotContain(key[9..]);
        ((string)row["hash"]!).Length.ShouldBe(64);

        using var viaKey = ClientWithKey(key);
        (await viaKey.GetAsync("/api/agents", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        using (var reply = await SendAsync(viaKey, agentId, "Hello from the widget"))
        {
            reply.StatusCode.ShouldBe(HttpStatusCode.OK);
            var events = await SseReader.ReadAllAsync(reply, Ct);
            events.Last().Type.ShouldBe("done");
            var conversationId = events[0].Data.GetProperty("conversationId").GetString();
            (await viaKey.GetAsync($"/api/conversations/{conversationId}", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var session = await app.Database.SingleAsync("SELECT \"apiKeyId\", \"ownerId\" FROM trace_sessions WHERE \"ownerId\" = $1", user.Id);
        session["apiKeyId"].ShouldBe(id);
        var used = (await user.Client.GetFromJsonAsync<JsonElement>("/api/api-keys", Ct))[0];
        used.GetProperty("lastUsedAt").ValueKind.ShouldBe(JsonValueKind.String);

        // Only what an external chat frontend needs: not the owner's keys, usage, settings or anything of an admin. The key is
        // known there, so it is told it may not (403), not asked who it is (401).
        foreach (var refused in (HttpResponseMessage[])
        [
            await viaKey.GetAsync("/api/api-keys", Ct),
            await viaKey.PostAsJsonAsync("/api/api-keys", new { name = "minted by a key" }, Ct),
            await viaKey.GetAsync("/api/usage", Ct),
            await viaKey.GetAsync("/api/me/anthropic-key", Ct),
            await viaKey.PostAsJsonAsync("/api/agents", new { name = "x", model = "claude-haiku-4-5", maxTokens = 10, status = "ACTIVE" }, Ct),
        ])
        {
            using var _ = refused;
            refused.StatusCode.ShouldBe(HttpStatusCode.Forbidden, refused.RequestMessage!.RequestUri!.ToString());
            refused.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
            (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString().ShouldBe("Integration keys cannot call this endpoint.");
        }

        (await app.Database.QueryAsync("SELECT 1 FROM integration_keys WHERE \"ownerId\" = $1", user.Id)).Count.ShouldBe(1, "the key minted nothing");
        using var unknown = ClientWithKey("cc_" + new string('0', 64));
        (await unknown.GetAsync("/api/agents", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await unknown.GetAsync("/api/usage", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "an unknown key is not known anywhere");
    }

    [Fact]
    public async Task ARevokedKeyStopsWorkingAtOnceOnEveryInstance()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var (id, key) = await CreateKeyAsync(user.Client, new { name = "To revoke" });
        await using var other = app.StartAnotherInstance();
        using var here = ClientWithKey(key);
        using var there = ClientWithKey(key, other);
        (await here.GetAsync("/api/agents", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await there.GetAsync("/api/agents", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK, "the key is now in the other instance's cache");

        (await user.Client.DeleteAsync($"/api/api-keys/{id}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await here.GetAsync("/api/agents", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await other.Logs.WaitForAsync(line => line.Contains("integration-key:"), TimeSpan.FromSeconds(10));
        (await there.GetAsync("/api/agents", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await user.Client.DeleteAsync($"/api/api-keys/{id}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AKeysOwnBudgetAndRateLimitApplyToItsMessages()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var agentId = await app.CreateAgentAsync(model: "claude-haiku-4-5", maxTokens: 1000);
        var (_, poor) = await CreateKeyAsync(user.Client, new { name = "Tiny budget", monthlyBudget = 0.001m });
        var (_, slow) = await CreateKeyAsync(user.Client, new { name = "One a minute", messagesPerMinute = 1 });

        using var poorClient = ClientWithKey(poor);
        using var refused = await SendAsync(poorClient, agentId, "Hi");
        refused.StatusCode.ShouldBe(HttpStatusCode.PaymentRequired);
        (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString().ShouldStartWith("Over budget: API key Tiny budget's monthly budget of $0.001");

        using var slowClient = ClientWithKey(slow);
        using (var first = await SendAsync(slowClient, agentId, "Hi"))
        {
            first.StatusCode.ShouldBe(HttpStatusCode.OK);
            await SseReader.ReadAllAsync(first, Ct);
        }

        using var second = await SendAsync(slowClient, agentId, "Hi again");
        second.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        // The owner's own allowance is apart from the key's.
        using var direct = await user.SendAsync(agentId, "From the owner", ct: Ct);
        direct.StatusCode.ShouldBe(HttpStatusCode.OK);
        await SseReader.ReadAllAsync(direct, Ct);
    }

    [Fact]
    public async Task UsageAndTracesTellMessagesApartByKey()
    {
        var anthropicKey = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(anthropicKey, new FakeScenario { Usage = new FakeUsage(45, 12) });
        using var user = await app.NewUserAsync(apiKey: anthropicKey);
        var agentId = await app.CreateAgentAsync();
        var (keyId, key) = await CreateKeyAsync(user.Client, new { name = "Widget" });
        using var viaKey = ClientWithKey(key);
        foreach (var client in new[] { viaKey, viaKey, user.Client })
        {
            using var reply = await SendAsync(client, agentId, "Count");
            await SseReader.ReadAllAsync(reply, Ct);
        }

        var usage = await user.Client.GetFromJsonAsync<JsonElement>("/api/usage?groupBy=apiKey", Ct);
        var rows = usage.GetProperty("rows").EnumerateArray()
            .Select(r => (Key: r.GetProperty("apiKeyName").GetString(), Cost: r.GetProperty("cost").GetDecimal(), Replies: r.GetProperty("replies").GetProperty("completed").GetInt32()))
            .OrderBy(r => r.Key).ToList();
        rows.ShouldBe([(null, 0.000315m, 1), ("Widget", 0.00063m, 2)]);

        var traces = await user.Client.GetFromJsonAsync<JsonElement>($"/api/traces?apiKeyId={keyId}", Ct);
        traces.GetProperty("total").GetInt32().ShouldBe(2);
        var traceId = traces.GetProperty("items")[0].GetProperty("id").GetString();
        (await user.Client.GetFromJsonAsync<JsonElement>($"/api/traces/{traceId}", Ct)).GetProperty("apiKeyName").GetString().ShouldBe("Widget");
    }

    [Fact]
    public async Task BadInputIsRefusedAndAnotherUsersKeyCannotBeRevoked()
    {
        using var user = await app.NewUserAsync();
        using var stranger = await app.NewUserAsync();
        var noName = await user.Client.PostAsJsonAsync("/api/api-keys", new { name = " " }, Ct);
        noName.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await noName.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").GetProperty("name")[0].GetString()
            .ShouldBe("A name is required (at most 100 characters), to tell keys apart.");
        (await user.Client.PostAsJsonAsync("/api/api-keys", new { name = "x", monthlyBudget = -1 }, Ct)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await user.Client.PostAsJsonAsync("/api/api-keys", new { name = "x", messagesPerMinute = 0 }, Ct)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await app.Database.QueryAsync("SELECT 1 FROM integration_keys WHERE \"ownerId\" = $1", user.Id)).ShouldBeEmpty();

        var (id, _) = await CreateKeyAsync(user.Client, new { name = "Mine" });
        (await stranger.Client.DeleteAsync($"/api/api-keys/{id}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await stranger.Client.GetFromJsonAsync<JsonElement>("/api/api-keys", Ct)).GetArrayLength().ShouldBe(0);
        (await app.Database.QueryAsync("SELECT 1 FROM integration_keys WHERE id = $1", id)).Count.ShouldBe(1);
    }
}
