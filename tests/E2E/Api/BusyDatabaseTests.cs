using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using Npgsql;

namespace CommandCenter.E2E.Api;

/// <summary>The app with a pool of two connections that it waits for at most a second at a time.</summary>
public sealed class TwoConnectionApp : CommandCenterApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [new("ConnectionStrings:CommandCenter", new NpgsqlConnectionStringBuilder(Database.ConnectionString) { MaxPoolSize = 2, Timeout = 1 }.ConnectionString)];
}

/// <summary>Under a burst, a message waits its turn for the database and then goes through, instead of failing.</summary>
public sealed class BusyDatabaseTests(TwoConnectionApp app) : IClassFixture<TwoConnectionApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MessagesThatFindEveryConnectionBusyWaitForOneAndAllGoThrough()
    {
        var agentId = await app.CreateAgentAsync();
        var users = new List<TestUser>();
        for (var i = 0; i < 6; i++)
        {
            var key = CommandCenterApp.NewApiKey();
            app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Your ", "turn."], Usage = new FakeUsage(10, 2) });
            users.Add(await app.NewUserAsync(apiKey: key));
            // Signed in and seen once, so that only the message itself needs the database below.
            (await users[^1].Client.GetAsync("/api/conversations", Ct)).EnsureSuccessStatusCode();
        }

        try
        {
            var sending = await WhileKeysAreLockedAsync(() => [.. users.Select(user => user.SendAsync(agentId, "Wait for it", ct: Ct))]);
            foreach (var response in sending)
            {
                using var _ = response;
                response.StatusCode.ShouldBe(HttpStatusCode.OK);
                (await SseReader.ReadAllAsync(response, Ct))[^1].Type.ShouldBe("done");
            }

            foreach (var user in users)
            {
                (await app.Database.SingleAsync("SELECT status FROM task_trace WHERE \"ownerId\" = $1", user.Id))["status"].ShouldBe("completed");
            }
        }
        finally
        {
            users.ForEach(user => user.Dispose());
        }
    }

    [Fact]
    public async Task GatewayCallsThatFindEveryConnectionBusyWaitForOneAndAllGoThrough()
    {
        var callers = new List<(TestUser User, HttpClient Client)>();
        for (var i = 0; i < 4; i++)
        {
            var user = await app.NewUserAnsweredByAsync(new FakeScenario { Chunks = ["Your ", "turn."], Usage = new FakeUsage(10, 2) });
            using var created = await user.Client.PostAsJsonAsync("/api/api-keys", new { name = "SDK" }, Ct);
            var client = app.CreateClient();
            client.DefaultRequestHeaders.Add("x-api-key", (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("key").GetString());
            client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
            (await client.GetAsync("/v1/models", Ct)).EnsureSuccessStatusCode();
            callers.Add((user, client));
        }

        try
        {
            var calls = await WhileKeysAreLockedAsync(() => [.. callers.Select(caller => caller.Client.PostAsJsonAsync("/v1/messages", new
            {
                model = "claude-sonnet-4-6", max_tokens = 64, messages = new[] { new { role = "user", content = "Wait for it" } },
            }, Ct))]);
            foreach (var response in calls)
            {
                using var _ = response;
                response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct) + "\n" + string.Join("\n", app.Logs.Lines.Where(l => l.Contains("Exception") || l.Contains("failed"))));
            }

            foreach (var (user, _) in callers)
            {
                (await app.Database.SingleAsync("SELECT status FROM task_trace WHERE \"ownerId\" = $1", user.Id))["status"].ShouldBe("completed");
            }
        }
        finally
        {
            callers.ForEach(caller => { caller.Client.Dispose(); caller.User.Dispose(); });
        }
    }

    /// <summary>Starts the requests with the Anthropic keys' table locked, and unlocks it once one of them has had to wait (or was answered).</summary>
    private async Task<HttpResponseMessage[]> WhileKeysAreLockedAsync(Func<List<Task<HttpResponseMessage>>> start)
    {
        List<Task<HttpResponseMessage>> sending;
        await using (var blocker = await app.Database.OpenAsync())
        {
            // Every request reads its sender's key first: with that table locked, the first two hold both pooled
            // connections, and the others find none for longer than the pool's one-second timeout.
            await using var transaction = await blocker.BeginTransactionAsync(Ct);
            await using (var lockKeys = new NpgsqlCommand("LOCK TABLE anthropic_api_keys IN ACCESS EXCLUSIVE MODE", blocker, transaction))
            {
                await lockKeys.ExecuteNonQueryAsync(Ct);
            }

            sending = start();
            // Held until a request has found no connection in time: it then waits its turn (or, were it refused, answers).
            await Task.WhenAny(app.Logs.WaitForAsync(line => line.Contains("waits its turn for the database"), TimeSpan.FromSeconds(30)), Task.WhenAny(sending));
            await transaction.CommitAsync(Ct);
        }

        return await Task.WhenAll(sending);
    }
}
