using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>
/// Anthropic's own API on Command Center: clients that speak it come through with an integration key, and every call is
/// priced, budgeted, rate-limited and traced like a chat reply. The peers' cost bugs are tests here.
/// </summary>
public sealed class GatewayTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>An operator whose Anthropic key the fake answers with <paramref name="scenario"/>, and one of their integration keys.</summary>
    private async Task<(TestUser User, string Key, string KeyId)> KeyAnsweredByAsync(FakeScenario scenario, object? keySettings = null)
    {
        var user = await app.NewUserAnsweredByAsync(scenario);
        using var created = await user.Client.PostAsJsonAsync("/api/api-keys", keySettings ?? new { name = "SDK" }, Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (user, body.GetProperty("key").GetString()!, body.GetProperty("id").GetString()!);
    }

    private HttpClient Client(string key, bool bearer = false)
    {
        var client = app.CreateClient();
        if (bearer)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        else
        {
            client.DefaultRequestHeaders.Add("x-api-key", key);
        }

        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        client.DefaultRequestHeaders.UserAgent.ParseAdd("gateway-test/1.0");
        return client;
    }

    private static JsonObject Request(string model = "claude-sonnet-4-6", bool stream = true, int maxTokens = 256, string text = "Hello there", object? tools = null)
    {
        var request = new JsonObject
        {
            ["model"] = model, ["max_tokens"] = maxTokens, ["stream"] = stream,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
        };
        if (tools is not null)
        {
            request["tools"] = JsonSerializer.SerializeToNode(tools);
        }

        return request;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, object request, string path = "/v1/messages") =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(request) }, HttpCompletionOption.ResponseHeadersRead, Ct);

    /// <summary>The user's one trace, once it has settled (the client's response ends before the bookkeeping).</summary>
    private async Task<Dictionary<string, object?>> SettledTraceAsync(string userId)
    {
        const string sql = """
            SELECT t.id, t.status, t."totalCost", t."userAgent", t.instruction, t."masterAgentId", s."sessionType", s."apiKeyId", s.cost, s."tokensIn", s."tokensOut",
                s."cacheWrite1hTokens", s."webSearchRequests", s."toolFees", s."costEstimated", s."modelUsed", s.error, s."upstreamStatus"
            FROM task_trace t JOIN trace_sessions s ON s."taskTraceId" = t.id WHERE t."ownerId" = $1
            """;
        var rows = await Eventually.UntilAsync(() => app.Database.QueryAsync(sql, userId), r => r.Count == 1 && (string)r[0]["status"]! != "running", TimeSpan.FromSeconds(30));
        return rows.ShouldHaveSingleItem();
    }

    private static async Task<JsonElement> ErrorOf(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        response.StatusCode.ShouldBe(status);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        body.GetProperty("type").GetString().ShouldBe("error");
        body.GetProperty("error").GetProperty("type").GetString().ShouldBe(type);
        return body.GetProperty("error");
    }

    [Fact]
    public async Task AStreamIsRelayedByteForByteAndTracedAsAGatewayCallAtItsExactCost()
    {
        var (user, key, keyId) = await KeyAnsweredByAsync(new FakeScenario { Chunks = ["Hi", " there"], Usage = new FakeUsage(45, 12) });
        using var _ = user;
        using var client = Client(key);

        using var response = await PostAsync(client, Request());
        var raw = await response.Content.ReadAsStringAsync(Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        response.Headers.GetValues("request-id").Single().ShouldStartWith("req_");
        // What only an unchanged relay keeps: pings, an event type newer than any client, data lines padded with spaces.
        raw.ShouldContain("event: ping\ndata: {\"type\": \"ping\"}");
        raw.ShouldContain("event: content_block_citation_future");
        raw.ShouldContain("}  \n\n");
        raw.ShouldContain("event: message_stop\ndata: {\"type\":\"message_stop\"}");
        var upstream = app.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem();
        upstream.Json.GetProperty("model").GetString().ShouldBe("claude-sonnet-4-6");
        upstream.Headers["anthropic-version"].ShouldBe("2023-06-01");

        var trace = await SettledTraceAsync(user.Id);
        (trace["status"], trace["sessionType"], trace["apiKeyId"], trace["userAgent"], trace["instruction"], trace["masterAgentId"])
            .ShouldBe(("completed", "gateway", keyId, "gateway-test/1.0", "Hello there", "gateway"));
        // 45 × $3 + 12 × $15 per million: the spec's worked example.
        (trace["cost"], trace["totalCost"], trace["tokensIn"], trace["tokensOut"]).ShouldBe(((object?)0.000315m, (object?)0.000315m, (object?)45, (object?)12));
        (await app.Database.QueryAsync("SELECT 1 FROM conversations WHERE \"ownerId\" = $1", user.Id)).ShouldBeEmpty("a gateway call makes no conversation");
        var detail = await user.Client.GetFromJsonAsync<JsonElement>($"/api/traces/{trace["id"]}", Ct);
        (detail.GetProperty("source").GetString(), detail.GetProperty("userAgent").GetString(), detail.GetProperty("agentName").GetString(), detail.GetProperty("apiKeyName").GetString())
            .ShouldBe(("gateway", "gateway-test/1.0", "Gateway (model named)", "SDK"));
        var usage = await user.Client.GetFromJsonAsync<JsonElement>("/api/usage?groupBy=agent", Ct);
        usage.GetProperty("rows")[0].GetProperty("agentName").GetString().ShouldBe("Gateway (model named)");
    }

    [Fact]
    public async Task AWholeMessageIsReturnedAsItCameAndPricedFromItsUsage()
    {
        var (user, key, _) = await KeyAnsweredByAsync(new FakeScenario { Chunks = ["Whole", " message."], Usage = new FakeUsage(100, 20) });
        using var _ = user;
        using var client = Client(key, bearer: true);

        using var response = await PostAsync(client, Request(stream: false));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var message = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        message.GetProperty("type").GetString().ShouldBe("message");
        message.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("Whole message.");
        message.GetProperty("usage").GetProperty("output_tokens").GetInt32().ShouldBe(20);
        var trace = await SettledTraceAsync(user.Id);
        (trace["status"], trace["cost"]).ShouldBe(("completed", (object?)0.0006m));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-key")]
    [InlineData("cc_0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task WithoutAValidIntegrationKeyItIsA401InAnthropicsShape(string? key)
    {
        using var client = app.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("x-api-key", key);
        }

        using var response = await PostAsync(client, Request());

        (await ErrorOf(response, HttpStatusCode.Unauthorized, "authentication_error")).GetProperty("message").GetString()!.ShouldContain("x-api-key");
    }

    [Fact]
    public async Task ASignInTokenIsNotAGatewayKey()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());

        using var response = await user.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = JsonContent.Create(Request()) }, Ct);

        await ErrorOf(response, HttpStatusCode.Unauthorized, "authentication_error");
    }

    [Fact]
    public async Task ARetiredModelIsA400NamingItsReplacementAndAnUnpricedOneSaysSoAndNothingIsSent()
    {
        var (user, key, _) = await KeyAnsweredByAsync(new FakeScenario());
        using var _ = user;
        using var client = Client(key);

        using var retired = await PostAsync(client, Request(model: "claude-sonnet-4-5"));
        (await ErrorOf(retired, HttpStatusCode.BadRequest, "invalid_request_error")).GetProperty("message").GetString()
            .ShouldBe("model: claude-sonnet-4-5 (Claude Sonnet 4.5) was retired on 2026-11-30; use claude-sonnet-5-5 instead.");
        using var unpriced = await PostAsync(client, Request(model: "claude-unpriced-model"));
        (await ErrorOf(unpriced, HttpStatusCode.BadRequest, "invalid_request_error")).GetProperty("message").GetString()!.ShouldContain("has no price in Command Center");
        using var missing = await PostAsync(client, new { max_tokens = 10, messages = Array.Empty<object>() });
        (await ErrorOf(missing, HttpStatusCode.BadRequest, "invalid_request_error")).GetProperty("message").GetString().ShouldBe("model: Field required");

        app.Fake.RequestsFor(user.ApiKey!).ShouldBeEmpty();
        (await app.Database.QueryAsync("SELECT 1 FROM task_trace WHERE \"ownerId\" = $1", user.Id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task AnAgentAsAModelRunsWithItsModelSystemPromptAndToolsUnderItsBudget()
    {
        var (user, key, _) = await KeyAnsweredByAsync(new FakeScenario { Usage = new FakeUsage(30, 5) });
        using var _ = user;
        var name = $"Support {Guid.NewGuid():N}"[..20];
        using var admin = await app.AdminAsync();
        var created = await admin.PostAsJsonAsync("/api/agents", new
        {
            name, model = "claude-opus-4-6", systemPrompt = "You are the support agent.", maxTokens = 1024, webSearch = new { enabled = true, maxUses = 2 },
        }, Ct);
        var agentId = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        using var client = Client(key);

        using var response = await PostAsync(client, new
        {
            model = $"agent:{name.ToLowerInvariant()}", max_tokens = 100, stream = true, system = "Answer in French.",
            messages = new[] { new { role = "user", content = "Bonjour" } },
        });
        await response.Content.ReadAsStringAsync(Ct);

        var sent = app.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem().Json;
        sent.GetProperty("model").GetString().ShouldBe("claude-opus-4-6");
        sent.GetProperty("system").EnumerateArray().Select(b => b.GetProperty("text").GetString()).ShouldBe(["You are the support agent.", "Answer in French."]);
        sent.GetProperty("tools")[0].GetProperty("name").GetString().ShouldBe("web_search");
        sent.GetProperty("tools")[0].GetProperty("max_uses").GetInt32().ShouldBe(2);
        var trace = await SettledTraceAsync(user.Id);
        (trace["masterAgentId"], trace["modelUsed"]).ShouldBe((agentId, "claude-opus-4-6"));

        using var unknown = await PostAsync(client, Request(model: "agent:nobody-by-that-name"));
        await ErrorOf(unknown, HttpStatusCode.NotFound, "not_found_error");
    }

    [Fact]
    public async Task AnUpstreamRefusalPassesThroughWithItsStatusAndRetryAfterAndIsTracedAsFailed()
    {
        var (user, key, _) = await KeyAnsweredByAsync(new FakeScenario
        {
            FailStatus = 429, FailErrorType = "rate_limit_error", FailMessage = "Number of request tokens has exceeded your per-minute rate limit", RetryAfterSeconds = 7,
        });
        using var _ = user;
        using var client = Client(key);

        using var response = await PostAsync(client, Request());

        (await ErrorOf(response, HttpStatusCode.TooManyRequests, "rate_limit_error")).GetProperty("message").GetString()!.ShouldContain("per-minute rate limit");
        response.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(7));
        var trace = await SettledTraceAsync(user.Id);
        (trace["status"], trace["upstreamStatus"], trace["cost"]).ShouldBe(("failed", (object?)429, (object?)0m));
    }

    [Fact]
    public async Task AKeysRateLimitIsA429WithRetryAfterInAnthropicsShape()
    {
        var (user, key, _) = await KeyAnsweredByAsync(new FakeScenario(), new { name = "One a minute", messagesPerMinute = 1 });
        using var _ = user;
        using var client = Client(key);

        using (var first = await PostAsync(client, Request()))
        {
            first.StatusCode.ShouldBe(HttpStatusCode.OK);
            await first.Content.ReadAsStringAsync(Ct);
        }

        using var second = await PostAsync(client, Request());
        await ErrorOf(second, HttpStatusCode.TooManyRequests, "rate_limit_error");
        second.Headers.RetryAfter.ShouldNotBeNull();
    }

    [Fact]
    public async Task AClientThatGoesAwayMidStreamIsBilledWhatWasGenerated()
    {
        var (user, key, _) = await KeyAnsweredByAsync(new FakeScenario
        {
            Chunks = ["One ", "two ", "three ", "four ", "five."], HoldAfterChunks = 3,
        });
        using var _ = user;
        using var client = Client(key);
        var response = await PostAsync(client, Request());
        var body = await response.Content.ReadAsStreamAsync(Ct);
        var seen = new StringBuilder();
        var buffer = new byte[4096];
        while (!seen.ToString().Contains("three "))
        {
            seen.Append(Encoding.UTF8.GetString(buffer, 0, await body.ReadAsync(buffer, Ct)));
        }

        // The client leaves while Anthropic is still writing.
        response.Dispose();

        var trace = await SettledTraceAsync(user.Id);
        (trace["status"], trace["costEstimated"]).ShouldBe(("cancelled", true));
        // Counted as a chat reply's is: the prompt with the partial reply, less the prompt (the fake counts a token a word).
        trace["tokensOut"].ShouldBe(3, "the output it generated is counted, not message_start's placeholder");
        trace["cost"].ShouldBe(0.000051m); // 2 in × $3 + 3 out × $15 per million
        (await app.Fake.RequestsFor(user.ApiKey!).Single().Ended.WaitAsync(TimeSpan.FromSeconds(10), Ct)).ShouldNotBe(default);
        app.Fake.RequestsFor(user.ApiKey!).Single().ClientAborted.ShouldBeTrue("the upstream call was closed, so Anthropic stops billing");
    }

    [Fact]
    public async Task AWebSearchIsPricedAndAOneHourCacheWriteAtItsOwnRate()
    {
        var (user, key, _) = await KeyAnsweredByAsync(new FakeScenario
        {
            Usage = new FakeUsage(1_000, 100, CacheCreation1hTokens: 10_000, WebSearchRequests: 2),
            WebSearch = new("gateway pricing", [new("https://example.com", "Example", "cited")]),
        });
        using var _ = user;
        using var client = Client(key);

        using var response = await PostAsync(client, Request(tools: new[] { new { type = "web_search_20260318", name = "web_search", max_uses = 3 } }));
        await response.Content.ReadAsStringAsync(Ct);

        var trace = await SettledTraceAsync(user.Id);
        // Sonnet 4.6: 1,000 × $3 + 10,000 × $6 (1-hour writes) + 100 × $15 per million = $0.0645, + 2 searches × $0.01.
        (trace["cacheWrite1hTokens"], trace["webSearchRequests"], trace["toolFees"], trace["cost"])
            .ShouldBe(((object?)10_000, (object?)2, (object?)0.02m, (object?)0.0845m));
    }

    [Fact]
    public async Task ParallelCallsAtABudgetsEdgeOvershootItByAtMostOneCallsWorstCase()
    {
        // Each call reserves its worst case, about $0.0078 (its short prompt, and 512 output tokens at $15): a $0.02 budget covers two.
        var (user, key, _) = await KeyAnsweredByAsync(new FakeScenario { Usage = new FakeUsage(100, 500), ChunkDelay = TimeSpan.FromMilliseconds(20) },
            new { name = "Tiny", monthlyBudget = 0.02m });
        using var _ = user;
        using var client = Client(key);

        var calls = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await PostAsync(client, Request(maxTokens: 512));
            var body = await response.Content.ReadAsStringAsync(Ct);
            return (response.StatusCode, body);
        }));

        var refused = calls.Where(c => c.StatusCode == HttpStatusCode.PaymentRequired).ToList();
        refused.ShouldNotBeEmpty();
        refused.ShouldAllBe(c => c.body.Contains("\"billing_error\""));
        var spent = await Eventually.UntilAsync(
            () => app.Database.QueryAsync("SELECT status, \"totalCost\" FROM task_trace WHERE \"ownerId\" = $1", user.Id),
            rows => rows.All(r => (string)r["status"]! != "running"), TimeSpan.FromSeconds(30));
        spent.Count.ShouldBe(calls.Count(c => c.StatusCode == HttpStatusCode.OK));
        spent.Sum(r => (decimal)r["totalCost"]!).ShouldBeLessThanOrEqualTo(0.02m + 0.0079m);
    }

    [Fact]
    public async Task CountTokensIsPassedOnAndNotTraced()
    {
        var (user, key, _) = await KeyAnsweredByAsync(new FakeScenario());
        using var _ = user;
        using var client = Client(key);

        using var response = await PostAsync(client, new { model = "claude-sonnet-4-6", messages = new[] { new { role = "user", content = "three words here" } } }, "/v1/messages/count_tokens");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("input_tokens").GetInt32().ShouldBe(3);
        app.Fake.TokenCountRequests.ShouldContain(r => r.ApiKey == user.ApiKey);
        (await app.Database.QueryAsync("SELECT 1 FROM task_trace WHERE \"ownerId\" = $1", user.Id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task ModelsAreTheCataloguesCallableOnesInAnthropicsListShapePageByPage()
    {
        var (user, key, _) = await KeyAnsweredByAsync(new FakeScenario());
        using var _ = user;
        using var client = Client(key);

        var all = new List<string>();
        string? after = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/v1/models?limit=5{(after is null ? "" : "&after_id=" + after)}", Ct);
            all.AddRange(page.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!));
            after = page.GetProperty("has_more").GetBoolean() ? page.GetProperty("last_id").GetString() : null;
        }
        while (after is not null);

        all.ShouldContain("claude-sonnet-5-5");
        all.ShouldContain("claude-opus-4-5", "deprecated models are still callable");
        all.ShouldNotContain("claude-sonnet-4-5", "retired models are not");
        all.Distinct().Count().ShouldBe(all.Count);
        var one = await client.GetFromJsonAsync<JsonElement>("/v1/models/claude-haiku-4-5-20251001", Ct);
        (one.GetProperty("type").GetString(), one.GetProperty("id").GetString(), one.GetProperty("display_name").GetString()).ShouldBe(("model", "claude-haiku-4-5", "Claude Haiku 4.5"));
        using var missing = await client.GetAsync("/v1/models/claude-none", Ct);
        await ErrorOf(missing, HttpStatusCode.NotFound, "not_found_error");
    }

    [Fact]
    public async Task AnUnknownGatewayPathAnswersInAnthropicsShapeNotAPage()
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/v1/completions", Ct);

        await ErrorOf(response, HttpStatusCode.NotFound, "not_found_error");
    }

    [Fact]
    public async Task AMalformedBodyIsA400AndNothingIsSent()
    {
        var (user, key, _) = await KeyAnsweredByAsync(new FakeScenario());
        using var _ = user;
        using var client = Client(key);

        using var response = await client.PostAsync("/v1/messages", new StringContent("{not json", Encoding.UTF8, "application/json"), Ct);

        await ErrorOf(response, HttpStatusCode.BadRequest, "invalid_request_error");
        app.Fake.RequestsFor(user.ApiKey!).ShouldBeEmpty();
    }
}

/// <summary>The app with the gateway off.</summary>
public sealed class GatewayOffApp : CommandCenterApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Gateway:Enabled", "false")];
}

public sealed class GatewayOffTests(GatewayOffApp app) : IClassFixture<GatewayOffApp>
{
    [Fact]
    public async Task WithTheGatewayOffItsPathsAreNotFoundInAnthropicsShape()
    {
        using var client = app.CreateClient();

        using var response = await client.PostAsJsonAsync("/v1/messages", new { model = "claude-sonnet-5-5" }, TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("error").GetProperty("type").GetString().ShouldBe("not_found_error");
    }
}
