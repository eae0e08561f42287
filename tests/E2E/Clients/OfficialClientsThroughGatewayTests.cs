using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Clients;

/// <summary>
/// The official TypeScript SDK, Claude Code and curl, pointed at Command Center with an integration key: each call they
/// make is relayed to (the fake) Anthropic and traced at the exact cost, and a budget stops them. The README's gateway
/// examples are what these run.
/// </summary>
public sealed class OfficialClientsThroughGatewayTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>, IAsyncLifetime
{
    private static readonly string[] Chunks = ["Hello", " through", " the", " gateway."];
    // Sonnet 5.5: 1,234 × $2 + 7 × $2.50 + 89 × $0.10 + 56 × $10 per million = $0.0030544 → $0.003054.
    private static readonly FakeUsage Usage = new(InputTokens: 1234, OutputTokens: 56, CacheCreation5mTokens: 7, CacheReadTokens: 89);
    private const decimal CallCost = 0.003054m;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await NodeClients.EnsureInstalledAsync(Ct);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<(TestUser User, string Key, string KeyId)> KeyAsync(FakeScenario scenario, object? settings = null)
    {
        var user = await app.NewUserAnsweredByAsync(scenario);
        using var created = await user.Client.PostAsJsonAsync("/api/api-keys", settings ?? new { name = "Clients" }, Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (user, body.GetProperty("key").GetString()!, body.GetProperty("id").GetString()!);
    }

    /// <summary>The user's traces once none is running (a client's response ends before its call is recorded).</summary>
    private async Task<List<Dictionary<string, object?>>> SettledTracesAsync(string userId, int count) =>
        await Eventually.UntilAsync(
            () => app.Database.QueryAsync(
                """
                SELECT t.status, t."totalCost", t."userAgent", s."sessionType", s."apiKeyId", s."modelUsed", s."tokensIn", s."tokensOut"
                FROM task_trace t JOIN trace_sessions s ON s."taskTraceId" = t.id WHERE t."ownerId" = $1 ORDER BY t."createdAt"
                """, userId),
            rows => rows.Count >= count && rows.All(r => (string)r["status"]! != "running"), TimeSpan.FromSeconds(30));

    [Fact]
    public async Task TheSdkStreamsCreatesCountsAndListsThroughTheGatewayAndEachCallIsTracedAtItsExactCost()
    {
        var (user, key, keyId) = await KeyAsync(new FakeScenario { Chunks = Chunks, Usage = Usage }, new { name = "SDK", monthlyBudget = 1m });
        using var _ = user;

        var run = await NodeClients.RunSdkCheckAsync(app.BaseUrl, key, "claude-sonnet-5-5", Ct);

        run.ExitCode.ShouldBe(0, run.ToString());
        run.Json.GetProperty("stream").GetProperty("finalText").GetString().ShouldBe(string.Concat(Chunks));
        run.Json.GetProperty("stream").GetProperty("usage").GetProperty("output_tokens").GetInt32().ShouldBe(56);
        run.Json.GetProperty("message").GetProperty("text").GetString().ShouldBe(string.Concat(Chunks));
        run.Json.GetProperty("countTokens").GetInt32().ShouldBe(2, "the fake counts a token a word: \"Say hello.\"");
        var models = run.Json.GetProperty("models").EnumerateArray().Select(m => m.GetString()).ToList();
        models.ShouldContain("claude-sonnet-5-5");
        models.ShouldNotContain("claude-sonnet-4-5");

        // Two billed calls (the stream and the whole message); the count and the list are free and untraced.
        var traces = await SettledTracesAsync(user.Id, 2);
        traces.Count.ShouldBe(2);
        traces.ShouldAllBe(t => (string)t["status"]! == "completed" && (string)t["sessionType"]! == "gateway" && (string)t["apiKeyId"]! == keyId
            && (decimal)t["totalCost"]! == CallCost && ((string)t["userAgent"]!).Contains("Anthropic/JS"));
        var usage = await user.Client.GetFromJsonAsync<JsonElement>("/api/usage?groupBy=apiKey", Ct);
        (usage.GetProperty("cost").GetDecimal(), usage.GetProperty("replies").GetProperty("completed").GetInt32()).ShouldBe((2 * CallCost, 2));
        var listed = await user.Client.GetFromJsonAsync<JsonElement>($"/api/traces?apiKeyId={keyId}", Ct);
        listed.GetProperty("total").GetInt32().ShouldBe(2);
        // The key's budget was charged exactly what the traces record: its reservations settled to the real cost.
        var budget = (await user.Client.GetFromJsonAsync<JsonElement>("/api/api-keys", Ct)).EnumerateArray().Single(k => k.GetProperty("id").GetString() == keyId);
        budget.GetProperty("budgetRemaining").GetDecimal().ShouldBe(1m - 2 * CallCost);
    }

    [Fact]
    public async Task ClaudeCodeAnswersAPromptThroughTheGatewayAndItsCallIsTraced()
    {
        var (user, key, keyId) = await KeyAsync(new FakeScenario { Chunks = Chunks, Usage = Usage });
        using var _ = user;

        var run = await NodeClients.RunClaudeCodeAsync(app.BaseUrl, key, "claude-sonnet-5-5", "Say hello.", Ct);

        run.ExitCode.ShouldBe(0, run.ToString());
        run.Json.GetProperty("is_error").GetBoolean().ShouldBeFalse(run.ToString());
        run.Json.GetProperty("result").GetString().ShouldBe(string.Concat(Chunks));
        var sent = app.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem();
        sent.Headers["anthropic-beta"].Split(',').ShouldContain("claude-code-20250219", "the client's beta flags are passed on");
        sent.Json.GetProperty("tools").GetArrayLength().ShouldBeGreaterThan(0);
        var trace = (await SettledTracesAsync(user.Id, 1)).ShouldHaveSingleItem();
        (trace["status"], trace["apiKeyId"], trace["totalCost"], trace["tokensOut"]).ShouldBe(("completed", (object?)keyId, (object?)CallCost, (object?)56));
        ((string)trace["userAgent"]!).ShouldContain("claude-cli");
        // Claude Code prices the call itself, from its own table: the same number, unrounded.
        decimal.Round(run.Json.GetProperty("total_cost_usd").GetDecimal(), 6).ShouldBe(CallCost);
    }

    [Fact]
    public async Task ABudgetStopsClaudeCodeWithABillingErrorItReports()
    {
        var (user, key, _) = await KeyAsync(new FakeScenario { Chunks = Chunks, Usage = Usage }, new { name = "Spent", monthlyBudget = 0.0001m });
        using var _ = user;

        var run = await NodeClients.RunClaudeCodeAsync(app.BaseUrl, key, "claude-sonnet-5-5", "Say hello.", Ct);

        run.ExitCode.ShouldNotBe(0, run.ToString());
        run.Json.GetProperty("is_error").GetBoolean().ShouldBeTrue(run.ToString());
        run.Json.GetProperty("api_error_status").GetInt32().ShouldBe(402, run.ToString());
        app.Fake.RequestsFor(user.ApiKey!).ShouldBeEmpty("the budget refused before Anthropic was called");
        (await app.Database.QueryAsync("SELECT 1 FROM task_trace WHERE \"ownerId\" = $1", user.Id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task TheReadmesSdkExampleStreamsThroughTheGateway()
    {
        var (user, key, _) = await KeyAsync(new FakeScenario { Chunks = Chunks, Usage = Usage });
        using var _ = user;
        var node = NodeClients.FindOnPath("node") ?? throw new InvalidOperationException("node is not on PATH.");
        var example = Path.Combine(NodeClients.Folder, "..", "..", "..", "docs", "gateway-example.mjs");

        // Run from the clients folder, where the pinned SDK is installed.
        var copy = Path.Combine(NodeClients.Folder, $"gateway-example-{Guid.NewGuid():N}.mjs");
        File.Copy(example, copy);
        try
        {
            var run = await NodeClients.RunAsync(node, [copy], NodeClients.Folder,
                new Dictionary<string, string> { ["ANTHROPIC_BASE_URL"] = app.BaseUrl.ToString().TrimEnd('/'), ["ANTHROPIC_API_KEY"] = key }, Ct);

            run.ExitCode.ShouldBe(0, run.ToString());
            run.Stdout.ShouldBe(string.Concat(Chunks) + "\n1234 in, 56 out\n");
        }
        finally
        {
            File.Delete(copy);
        }

        (await SettledTracesAsync(user.Id, 1)).ShouldHaveSingleItem()["totalCost"].ShouldBe(CallCost);
    }

    [Fact]
    public async Task TheReadmesCurlExampleStreamsThroughTheGateway()
    {
        var (user, key, _) = await KeyAsync(new FakeScenario { Chunks = Chunks, Usage = Usage });
        using var _ = user;

        // The README's command, word for word but for the address.
        var run = await NodeClients.RunAsync("bash", ["-c", """
            curl -sN "$BASE/v1/messages" -H "x-api-key: $KEY" -H 'anthropic-version: 2023-06-01' -H 'content-type: application/json' \
              -d '{"model":"claude-sonnet-5-5","max_tokens":256,"stream":true,"messages":[{"role":"user","content":"Hello"}]}'
            """], null, new Dictionary<string, string> { ["BASE"] = app.BaseUrl.ToString().TrimEnd('/'), ["KEY"] = key }, Ct);

        run.ExitCode.ShouldBe(0, run.ToString());
        run.Stdout.ShouldContain("event: message_start");
        run.Stdout.ShouldContain("\"text\":\"Hello\"");
        run.Stdout.ShouldContain("event: message_stop");
        (await SettledTracesAsync(user.Id, 1)).ShouldHaveSingleItem()["totalCost"].ShouldBe(CallCost);
    }
}
