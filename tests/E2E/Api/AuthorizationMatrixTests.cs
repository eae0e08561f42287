using System.Net;
using System.Net.Http.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>
/// Every endpoint as every kind of caller: nobody, the owner (an operator), another operator, an admin, and a disabled
/// operator and admin. Calls an actor may make are mostly sent with input that changes nothing (an invalid body, an unknown
/// id), so a 400 or 404 shows the call got past authorization and a 401 or 403 that it did not; the owner's own
/// conversation is asked for for real, and only the owner may read, rename or delete it.
/// </summary>
public sealed class AuthorizationMatrixTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private enum Actor { Anonymous, Owner, OtherOperator, Admin, DisabledOperator, DisabledAdmin }

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
        };

        // Per endpoint: the call, and what an active owner, other operator and admin get (anonymous: 401; disabled: 403).
        (string Name, Func<HttpClient, Task<HttpResponseMessage>> Call, HttpStatusCode Owner, HttpStatusCode Other, HttpStatusCode Admin)[] rows =
        [
            ("GET agents", c => c.GetAsync("/api/agents", Ct), HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK),
            ("GET agent", c => c.GetAsync($"/api/agents/{agentId}", Ct), HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK),
            ("POST agent", c => c.PostAsJsonAsync("/api/agents", new { name = "" }, Ct), HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.BadRequest),
            ("PUT agent", c => c.PutAsJsonAsync($"/api/agents/{agentId}", new { name = "" }, Ct), HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.BadRequest),
            ("DELETE agent", c => c.DeleteAsync("/api/agents/no-such-agent", Ct), HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.NotFound),
            ("GET prices", c => c.GetAsync("/api/prices", Ct), HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK),
            ("POST price", c => c.PostAsJsonAsync("/api/prices", new { model = "" }, Ct), HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.BadRequest),
            ("GET users", c => c.GetAsync("/api/users", Ct), HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.OK),
            ("POST user", c => c.PostAsJsonAsync("/api/users", new { email = "" }, Ct), HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.BadRequest),
            ("disable user", c => c.PostAsync("/api/users/no-such-user/disable", null, Ct), HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.NotFound),
            ("enable user", c => c.PostAsync("/api/users/no-such-user/enable", null, Ct), HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.NotFound),
            ("GET key", c => c.GetAsync("/api/me/anthropic-key", Ct), HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK),
            ("PUT key", c => c.PutAsJsonAsync("/api/me/anthropic-key", new { apiKey = "" }, Ct), HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest),
            ("POST message", c => c.PostAsJsonAsync("/api/command-center/message", new { agentId = "no-such-agent", message = "hi" }, Ct),
                HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound),
            ("GET events", c => c.GetAsync($"/api/command-center/messages/{messageId}/events?after=999", Ct), HttpStatusCode.BadRequest, HttpStatusCode.NotFound, HttpStatusCode.NotFound),
            ("POST stop", c => c.PostAsync($"/api/command-center/messages/{messageId}/stop", null, Ct), HttpStatusCode.Conflict, HttpStatusCode.NotFound, HttpStatusCode.NotFound),
            ("GET conversations", c => c.GetAsync("/api/conversations", Ct), HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK),
            ("GET conversation", c => c.GetAsync($"/api/conversations/{conversationId}", Ct), HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.NotFound),
            ("PATCH conversation", c => c.PatchAsJsonAsync($"/api/conversations/{conversationId}", new { title = "Renamed" }, Ct), HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.NotFound),
            ("DELETE conversation", c => c.DeleteAsync($"/api/conversations/{conversationId}", Ct), HttpStatusCode.NoContent, HttpStatusCode.NotFound, HttpStatusCode.NotFound),
        ];

        var wrong = new List<string>();
        // The owner goes last in each row: a DELETE it may make must not remove what the others are asked about.
        foreach (var (name, call, ownerStatus, otherStatus, adminStatus) in rows)
        {
            foreach (var actor in new[] { Actor.Anonymous, Actor.DisabledOperator, Actor.DisabledAdmin, Actor.OtherOperator, Actor.Admin, Actor.Owner })
            {
                var expected = actor switch
                {
                    Actor.Anonymous => HttpStatusCode.Unauthorized,
                    Actor.DisabledOperator or Actor.DisabledAdmin => HttpStatusCode.Forbidden,
                    Actor.Owner => ownerStatus,
                    Actor.OtherOperator => otherStatus,
                    _ => adminStatus,
                };
                using var response = await call(clients[actor]);
                var json = response.StatusCode == HttpStatusCode.NoContent
                    || response.Content.Headers.ContentType?.MediaType is "application/json" or "application/problem+json" or "text/event-stream";
                if (response.StatusCode != expected || !json)
                {
                    wrong.Add($"{name} as {actor}: {(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType ?? "no body"} (expected {(int)expected}, JSON)");
                }
            }
        }

        wrong.ShouldBeEmpty();
        (await app.Database.SingleAsync("SELECT count(*)::int AS n FROM \"AspNetUsers\" WHERE \"Email\" = ''"))["n"].ShouldBe(0);
        clients[Actor.Anonymous].Dispose();
    }
}
