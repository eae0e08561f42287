using System.Net.Http.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>The app on a PostgreSQL server of its own, which the tests stop and start.</summary>
public class RestartablePostgresApp : CommandCenterApp
{
    public PrivatePostgres Server { get; private set; } = null!;

    protected override TestDatabase CreateDatabase() => TestDatabase.Reserve(Server.AdminConnectionString);

    public override async ValueTask InitializeAsync()
    {
        Server = await PrivatePostgres.StartAsync();
        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>A reply that Anthropic billed is recorded, and right, whatever the database does meanwhile.</summary>
public sealed class DatabaseFaultTests(RestartablePostgresApp app) : IClassFixture<RestartablePostgresApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A reply held by the fake after two chunks, read in the background; returns once its start is stored.</summary>
    private async Task<(TestUser User, Task<List<ReceivedEvent>> Events, string TraceId, TaskCompletionSource Release)> HeldReplyAsync(FakeUsage usage)
    {
        var release = new TaskCompletionSource();
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["All ", "of ", "this ", "was ", "billed."], HoldAfterChunks = 2, HoldUntil = release.Task, Usage = usage });
        var user = await app.NewUserAsync(apiKey: key);
        var agentId = await app.CreateAgentAsync();
        var response = await user.SendAsync(agentId, "Say it all", ct: Ct);
        var events = SseReader.ReadAllAsync(response, Ct);
        return (user, events, await app.TraceStartedAsync(user.Id), release);
    }

    [Fact]
    public async Task PostgresStoppedAndRestartedDuringAReplyTheTraceEndsCompletedWithTheRightCost()
    {
        var (user, reading, traceId, release) = await HeldReplyAsync(new FakeUsage(100, 20));
        using var _ = user;

        await app.Server.StopAsync();
        release.SetResult();
        // Anthropic has finished; the end cannot be written. Two failed attempts show the app is retrying, not giving up.
        await app.Logs.WaitForAsync(line => line.Contains($"Trace {traceId}: write attempt 2 failed"), TimeSpan.FromSeconds(30));
        reading.IsCompleted.ShouldBeFalse("cost and done wait until the end is recorded");

        await app.Server.StartAgainAsync();
        var events = await reading.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        events.Select(e => e.Type).TakeLast(2).ShouldBe(["cost", "done"]);
        var cost = events[^2].Data.GetProperty("totalCost").GetDecimal();
        cost.ShouldBe(0.0006m); // 100 × $3 + 20 × $15 per million
        var trace = await app.Database.SingleAsync("SELECT status, \"totalCost\", \"totalTokens\" FROM task_trace WHERE id = $1", traceId);
        trace["status"].ShouldBe("completed");
        trace["totalCost"].ShouldBe(cost);
        trace["totalTokens"].ShouldBe(120);
        var reply = await app.Database.SingleAsync("SELECT status, content, cost FROM messages WHERE \"taskTraceId\" = $1 AND role = 'assistant'", traceId);
        reply["status"].ShouldBe("complete");
        reply["content"].ShouldBe("All of this was billed.");
        reply["cost"].ShouldBe(cost);
    }

    [Fact]
    public async Task WithTheDatabaseDownTheApiAnswers503WithRetryAfterAsJson()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var agentId = await app.CreateAgentAsync();
        await app.Server.StopAsync();
        try
        {
            using var agents = await user.Client.GetAsync("/api/conversations", TestContext.Current.CancellationToken);
            using var message = await user.SendAsync(agentId, "Anyone there?", ct: Ct);

            foreach (var response in new[] { agents, message })
            {
                response.StatusCode.ShouldBe(System.Net.HttpStatusCode.ServiceUnavailable, response.RequestMessage!.RequestUri!.ToString());
                response.Headers.RetryAfter.ShouldNotBeNull();
                response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
            }

            app.Fake.RequestsFor(user.ApiKey!).ShouldBeEmpty();
        }
        finally
        {
            await app.Server.StartAgainAsync();
        }
    }

    [Fact]
    public async Task AStalePooledConnectionAtSettleTimeIsRetriedAndTheReplyIsRecorded()
    {
        var (user, reading, traceId, release) = await HeldReplyAsync(new FakeUsage(50, 10));
        using var _ = user;

        // What a restart leaves behind: every pooled connection of the app's is dead, and the pool does not know it yet.
        await app.Database.QueryAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
        release.SetResult();
        var events = await reading.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        events[^1].Type.ShouldBe("done");
        var trace = await app.Database.SingleAsync("SELECT status, \"totalCost\" FROM task_trace WHERE id = $1", traceId);
        trace["status"].ShouldBe("completed");
        trace["totalCost"].ShouldBe(0.0003m); // 50 × $3 + 10 × $15 per million
        app.Logs.Lines.ShouldContain(line => line.Contains($"Trace {traceId}: write attempt 1 failed"), "the first write met the dead connection");
    }

    [Fact]
    public async Task ATraceLeftRunningByADeadServerIsSettledWithTheInputUsageItWasBilledFor()
    {
        var (user, _, traceId, _) = await HeldReplyAsync(new FakeUsage(321, 40));
        using var __ = user;

        // A restart frees this instance's lease for a moment; a second instance starting then still leaves its trace alone …
        await app.Database.QueryAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
        // The second instance runs in this process and would share the first one's (now dead) pooled connections; a real one would not.
        Npgsql.NpgsqlConnection.ClearAllPools();
        await using (var other = app.StartAnotherInstance())
        {
            (await other.Logs.WaitForAsync(line => line.Contains("Checked for traces left running"), TimeSpan.FromSeconds(30))).ShouldContain("0 marked failed");
        }

        (await app.Database.SingleAsync("SELECT status FROM task_trace WHERE id = $1", traceId))["status"].ShouldBe("running");

        // … but once its server is gone for good (no lease under that key), the next start settles it with what message_start reported.
        await app.Database.QueryAsync("UPDATE task_trace SET \"instanceKey\" = 1 WHERE id = $1", traceId);
        await using (var other = app.StartAnotherInstance())
        {
            (await other.Logs.WaitForAsync(line => line.Contains("Checked for traces left running"), TimeSpan.FromSeconds(30))).ShouldContain("1 marked failed");
        }

        var trace = await app.Database.SingleAsync("SELECT status, \"totalCost\" FROM task_trace WHERE id = $1", traceId);
        trace["status"].ShouldBe("failed");
        trace["totalCost"].ShouldBe(0.000978m); // 321 input × $3 + the 1 output token message_start reports × $15, per million
        var session = await app.Database.SingleAsync("SELECT status, \"tokensIn\", cost, error FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId);
        session["tokensIn"].ShouldBe(321);
        session["cost"].ShouldBe(0.000978m);
        ((string)session["error"]!).ShouldContain("input tokens Anthropic reported at the start are recorded");
    }

    [Fact]
    public async Task AGatewayCallWhoseEndCannotBeWrittenIsAnsweredAtOnceAndRecordedWhenTheDatabaseIsBack()
    {
        var release = new TaskCompletionSource();
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Billed ", "all ", "the same."], HoldAfterChunks = 1, HoldUntil = release.Task, Usage = new FakeUsage(100, 20) });
        using var user = await app.NewUserAsync(apiKey: key);
        using var created = await user.Client.PostAsJsonAsync("/api/api-keys", new { name = "SDK" }, Ct);
        var integrationKey = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct)).GetProperty("key").GetString()!;
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", integrationKey);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Content = JsonContent.Create(new { model = "claude-sonnet-4-6", max_tokens = 100, stream = true, messages = new[] { new { role = "user", content = "Hi" } } }),
        }, HttpCompletionOption.ResponseHeadersRead, Ct);
        var traceId = (string)(await Eventually.UntilAsync(
            () => app.Database.QueryAsync("SELECT id FROM task_trace WHERE \"ownerId\" = $1", user.Id), rows => rows.Count == 1, TimeSpan.FromSeconds(30)))[0]["id"]!;

        await app.Server.StopAsync();
        release.SetResult();
        // The client's answer does not wait for the database.
        var body = await response.Content.ReadAsStringAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        body.ShouldContain("event: message_stop");

        await app.Server.StartAgainAsync();
        var trace = await Eventually.UntilAsync(
            () => app.Database.SingleAsync("SELECT status, \"totalCost\" FROM task_trace WHERE id = $1", traceId), t => (string)t["status"]! != "running", TimeSpan.FromSeconds(30));
        (trace["status"], trace["totalCost"]).ShouldBe(("completed", (object?)0.0006m));
    }
}
