using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>
/// Every endpoint as every kind of caller: nobody, the owner (an operator), another operator, an admin, a disabled operator and
/// admin, and integration keys (the other operator's, a disabled operator's and a revoked one). Calls an actor may make are
/// mostly sent with input that changes nothing (an invalid body, an unknown id), so a 400 or 404 shows the call got past
/// authorization and a 401 or 403 that it did not; the owner's own conversation is asked for for real, and only the owner
/// may read, rename or delete it. A key is its owner on the endpoints keys may use, and elsewhere a 403 that says so.
/// </summary>
public sealed class AuthorizationMatrixTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string KeysRefused = "Integration keys cannot call this endpoint.";

    private enum Actor { Anonymous, Owner, OtherOperator, Admin, DisabledOperator, DisabledAdmin, OthersKey, DisabledOperatorsKey, RevokedKey }

    private HttpClient WithKey(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static async Task<(string Id, string Key)> CreateKeyAsync(HttpClient owner)
    {
        using var response = await owner.PostAsJsonAsync("/api/api-keys", new { name = "Matrix" }, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (created.GetProperty("id").GetString()!, created.GetProperty("key").GetString()!);
    }

    [Fact]
    public async Task EveryEndpointAnswersEveryCallerAsItShould()
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Mine."] });
        using var owner = await app.NewUserAsync(apiKey: key);
        using var other = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        using var admin = await app.NewUserAsync("Admin", apiKey: CommandCenterApp.NewApiKey());
        using var disabledOperator = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        using var disabledAdmin = await app.NewUserAsync("Admin", apiKey: CommandCenterApp.NewApiKey());
        var (_, othersKey) = await CreateKeyAsync(other.Client);
        var (_, disabledOperatorsKey) = await CreateKeyAsync(disabledOperator.Client);
        var (revokedId, revokedKey) = await CreateKeyAsync(owner.Client);
        (await owner.Client.DeleteAsync($"/api/api-keys/{revokedId}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        using (var seed = await app.AdminAsync())
        {
            (await seed.PostAsync($"/api/users/{disabledOperator.Id}/disable", null, Ct)).EnsureSuccessStatusCode();
            (await seed.PostAsync($"/api/users/{disabledAdmin.Id}/disable", null, Ct)).EnsureSuccessStatusCode();
        }

        var agentId = await app.CreateAgentAsync();
        using var reply = await owner.SendAsync(agentId, "Owned", ct: Ct);
        var meta = (await SseReader.ReadAllAsync(reply, Ct))[0].Data;
        var conversationId = meta.GetProperty("conversationId").GetString()!;
        var messageId = meta.GetProperty("messageId").GetString()!;

        var clients = new Dictionary<Actor, HttpClient>
        {
            [Actor.Anonymous] = app.CreateClient(), [Actor.Owner] = owner.Client, [Actor.OtherOperator] = other.Client,
            [Actor.Admin] = admin.Client, [Actor.DisabledOperator] = disabledOperator.Client, [Actor.DisabledAdmin] = disabledAdmin.Client,
            [Actor.OthersKey] = WithKey(othersKey), [Actor.DisabledOperatorsKey] = WithKey(disabledOperatorsKey), [Actor.RevokedKey] = WithKey(revokedKey),
        };

        const HttpStatusCode ok = HttpStatusCode.OK, bad = HttpStatusCode.BadRequest, forbidden = HttpStatusCode.Forbidden, notFound = HttpStatusCode.NotFound;
        // Per endpoint: the call, what an active owner, other operator and admin get, and whether an integration key may call it (then
        // it gets what its owner, the other operator, gets). Anonymous and a revoked key: 401; disabled accounts and their keys: 403.
        (string Name, Func<HttpClient, Task<HttpResponseMessage>> Call, HttpStatusCode Owner, HttpStatusCode Other, HttpStatusCode Admin, bool KeyMay)[] rows =
        [
            ("GET agents", c => c.GetAsync("/api/agents", Ct), ok, ok, ok, true),
            ("GET agent", c => c.GetAsync($"/api/agents/{agentId}", Ct), ok, ok, ok, true),
            ("POST agent", c => c.PostAsJsonAsync("/api/agents", new { name = "" }, Ct), forbidden, forbidden, bad, false),
            ("PUT agent", c => c.PutAsJsonAsync($"/api/agents/{agentId}", new { name = "" }, Ct), forbidden, forbidden, bad, false),
            ("DELETE agent", c => c.DeleteAsync("/api/agents/no-such-agent", Ct), forbidden, forbidden, notFound, false),
            ("move agent", c => c.PostAsJsonAsync("/api/agents/no-such-agent/move", new { }, Ct), forbidden, forbidden, notFound, false),
            ("GET prices", c => c.GetAsync("/api/prices", Ct), ok, ok, ok, false),
            ("POST price", c => c.PostAsJsonAsync("/api/prices", new { model = "" }, Ct), forbidden, forbidden, bad, false),
            ("GET tool prices", c => c.GetAsync("/api/prices/tools", Ct), ok, ok, ok, false),
            ("POST tool price", c => c.PostAsJsonAsync("/api/prices/tools", new { tool = "" }, Ct), forbidden, forbidden, bad, false),
            ("GET models", c => c.GetAsync("/api/models", Ct), ok, ok, ok, false),
            ("refresh models", c => c.PostAsync("/api/models/refresh", null, Ct), forbidden, forbidden, ok, false),
            ("GET users", c => c.GetAsync("/api/users", Ct), forbidden, forbidden, ok, false),
            ("POST user", c => c.PostAsJsonAsync("/api/users", new { email = "" }, Ct), forbidden, forbidden, bad, false),
            ("disable user", c => c.PostAsync("/api/users/no-such-user/disable", null, Ct), forbidden, forbidden, notFound, false),
            ("enable user", c => c.PostAsync("/api/users/no-such-user/enable", null, Ct), forbidden, forbidden, notFound, false),
            ("PUT role", c => c.PutAsJsonAsync("/api/users/no-such-user/role", new { role = "Operator" }, Ct), forbidden, forbidden, notFound, false),
            ("POST password", c => c.PostAsJsonAsync("/api/users/no-such-user/password", new { password = "Another-Pass-123" }, Ct), forbidden, forbidden, notFound, false),
            ("GET budgets", c => c.GetAsync("/api/budgets", Ct), forbidden, forbidden, ok, false),
            ("PUT budget", c => c.PutAsJsonAsync("/api/budgets/user/no-such-user", new { monthlyLimit = 1m }, Ct), forbidden, forbidden, notFound, false),
            ("DELETE budget", c => c.DeleteAsync("/api/budgets/user/no-such-user", Ct), forbidden, forbidden, notFound, false),
            ("GET usage", c => c.GetAsync("/api/usage", Ct), ok, ok, ok, false),
            ("GET usage CSV", c => c.GetAsync("/api/usage.csv", Ct), ok, ok, ok, false),
            ("GET traces", c => c.GetAsync("/api/traces", Ct), ok, ok, ok, false),
            ("GET trace", c => c.GetAsync("/api/traces/no-such-trace", Ct), notFound, notFound, notFound, false),
            ("GET API keys", c => c.GetAsync("/api/api-keys", Ct), ok, ok, ok, false),
            ("POST API key", c => c.PostAsJsonAsync("/api/api-keys", new { name = "" }, Ct), bad, bad, bad, false),
            ("DELETE API key", c => c.DeleteAsync("/api/api-keys/no-such-key", Ct), notFound, notFound, notFound, false),
            ("GET key", c => c.GetAsync("/api/me/anthropic-key", Ct), ok, ok, ok, false),
            ("PUT key", c => c.PutAsJsonAsync("/api/me/anthropic-key", new { apiKey = "" }, Ct), bad, bad, bad, false),
            ("POST message", c => c.PostAsJsonAsync("/api/command-center/message", new { agentId = "no-such-agent", message = "hi" }, Ct), notFound, notFound, notFound, true),
            ("GET events", c => c.GetAsync($"/api/command-center/messages/{messageId}/events?after=999", Ct), bad, notFound, notFound, true),
            ("POST stop", c => c.PostAsync($"/api/command-center/messages/{messageId}/stop", null, Ct), HttpStatusCode.Conflict, notFound, notFound, true),
            ("POST regenerate", c => c.PostAsync("/api/command-center/messages/no-such-message/regenerate", null, Ct), notFound, notFound, notFound, true),
            ("POST edit", c => c.PostAsJsonAsync("/api/command-center/messages/no-such-message/edit", new { message = "hi" }, Ct), notFound, notFound, notFound, true),
            ("POST choose", c => c.PostAsync("/api/command-center/messages/no-such-message/choose", null, Ct), notFound, notFound, notFound, true),
            ("GET conversations", c => c.GetAsync("/api/conversations", Ct), ok, ok, ok, true),
            ("GET conversation", c => c.GetAsync($"/api/conversations/{conversationId}", Ct), ok, notFound, notFound, true),
            ("PATCH conversation", c => c.PatchAsJsonAsync($"/api/conversations/{conversationId}", new { title = "Renamed" }, Ct), ok, notFound, notFound, true),
            ("DELETE conversation", c => c.DeleteAsync($"/api/conversations/{conversationId}", Ct), HttpStatusCode.NoContent, notFound, notFound, true),
        ];

        var wrong = new List<string>();
        Actor[] order =
        [
            Actor.Anonymous, Actor.RevokedKey, Actor.DisabledOperator, Actor.DisabledAdmin, Actor.DisabledOperatorsKey,
            Actor.OtherOperator, Actor.OthersKey, Actor.Admin, Actor.Owner,
        ];
        // The owner goes last in each row: a DELETE it may make must not remove what the others are asked about.
        foreach (var (name, call, ownerStatus, otherStatus, adminStatus, keyMay) in rows)
        {
            foreach (var actor in order)
            {
                var expected = actor switch
                {
                    Actor.Anonymous or Actor.RevokedKey => HttpStatusCode.Unauthorized,
                    Actor.DisabledOperator or Actor.DisabledAdmin or Actor.DisabledOperatorsKey => forbidden,
                    Actor.OthersKey => keyMay ? otherStatus : forbidden,
                    Actor.Owner => ownerStatus,
                    Actor.OtherOperator => otherStatus,
                    _ => adminStatus,
                };
                using var response = await call(clients[actor]);
                var body = await response.Content.ReadAsStringAsync(Ct);
                var json = response.StatusCode == HttpStatusCode.NoContent
                    || response.Content.Headers.ContentType?.MediaType is "application/json" or "application/problem+json" or "text/event-stream" or "text/csv";
                if (response.StatusCode != expected || !json)
                {
                    wrong.Add($"{name} as {actor}: {(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType ?? "no body"} (expected {(int)expected}, JSON)");
                }
                else if (actor is Actor.OthersKey or Actor.DisabledOperatorsKey && !keyMay && ErrorOf(body) != KeysRefused)
                {
                    wrong.Add($"{name} as {actor}: error {ErrorOf(body) ?? body} (expected \"{KeysRefused}\")");
                }
            }
        }

        wrong.ShouldBeEmpty();
        (await app.Database.SingleAsync("SELECT count(*)::int AS n FROM \"AspNetUsers\" WHERE \"Email\" = ''"))["n"].ShouldBe(0);
        foreach (var actor in (Actor[])[Actor.Anonymous, Actor.OthersKey, Actor.DisabledOperatorsKey, Actor.RevokedKey])
        {
            clients[actor].Dispose();
        }
    }

    private static string? ErrorOf(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("error", out var error) ? error.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
