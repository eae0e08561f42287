using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>Refusals before the stream starts: a status code and a JSON body with an <c>error</c> string, and nothing sent upstream.</summary>
public sealed class StreamingErrorTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> ErrorBodyAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        response.StatusCode.ShouldBe(expected);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        body.GetProperty("error").GetString().ShouldNotBeNullOrWhiteSpace();
        return body;
    }

    [Fact]
    public async Task MissingFieldsAre400WithDetailsPerField()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var response = await user.Client.PostAsJsonAsync("/api/command-center/message", new { conversationId = (string?)null }, Ct);

        var errors = (await ErrorBodyAsync(response, HttpStatusCode.BadRequest)).GetProperty("errors");
        errors.TryGetProperty("agentId", out _).ShouldBeTrue();
        errors.TryGetProperty("message", out _).ShouldBeTrue();
        app.Fake.RequestsFor(user.ApiKey!).ShouldBeEmpty();
    }

    [Fact]
    public async Task ABodyThatIsNotJsonIs400()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var response = await user.Client.PostAsync("/api/command-center/message", new StringContent("agentId=1", System.Text.Encoding.UTF8, "application/json"), Ct);
        await ErrorBodyAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AnOverlongMessageIs400()
    {
        var agentId = await app.CreateAgentAsync();
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        using var response = await user.SendAsync(agentId, new string('x', 32_001), ct: Ct);

        var body = await ErrorBodyAsync(response, HttpStatusCode.BadRequest);
        body.GetProperty("errors").GetProperty("message")[0].GetString()!.ShouldContain("32000");
        app.Fake.RequestsFor(user.ApiKey!).ShouldBeEmpty();
    }

    [Fact]
    public async Task AMessageWithANulCharacterIs400AndNeverReachesAnthropic()
    {
        var agentId = await app.CreateAgentAsync();
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        using var response = await user.SendAsync(agentId, "before\0after", ct: Ct);

        var body = await ErrorBodyAsync(response, HttpStatusCode.BadRequest);
        body.GetProperty("errors").GetProperty("message")[0].GetString()!.ShouldContain("NUL");
        app.Fake.RequestsFor(user.ApiKey!).ShouldBeEmpty();
        (await app.Database.QueryAsync("SELECT 1 FROM task_trace WHERE \"ownerId\" = $1", user.Id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task NoBearerTokenIs401()
    {
        using var anonymous = app.CreateClient();
        var response = await anonymous.PostAsJsonAsync("/api/command-center/message", new { agentId = "x", conversationId = (string?)null, message = "hi" }, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task NoKeyOfYourOwnIs403AndNothingReachesAnthropic()
    {
        var agentId = await app.CreateAgentAsync();
        using var user = await app.NewUserAsync();
        var before = app.Fake.Requests.Count;

        using var response = await user.SendAsync(agentId, "hi", ct: Ct);

        (await ErrorBodyAsync(response, HttpStatusCode.Forbidden)).GetProperty("error").GetString().ShouldBe("No Anthropic API key configured");
        // Not with another user's key, nor a server-wide one: the app has no such fallback.
        app.Fake.Requests.Count.ShouldBe(before);
    }

    [Fact]
    public async Task UnknownAgentIs404()
    {
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        using var response = await user.SendAsync("no-such-agent", "hi", ct: Ct);
        (await ErrorBodyAsync(response, HttpStatusCode.NotFound)).GetProperty("error").GetString().ShouldBe("Agent with ID no-such-agent not found");
    }

    [Fact]
    public async Task InactiveAgentIs400()
    {
        using var admin = await app.AdminAsync();
        var name = $"Retired {Guid.NewGuid():N}";
        var created = await admin.PostAsJsonAsync("/api/agents", new { name, model = "claude-sonnet-4-6", maxTokens = 100, status = "INACTIVE" }, Ct);
        var agentId = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());

        using var response = await user.SendAsync(agentId, "hi", ct: Ct);

        (await ErrorBodyAsync(response, HttpStatusCode.BadRequest)).GetProperty("error").GetString().ShouldBe($"Agent {name} is not active");
        app.Fake.RequestsFor(user.ApiKey!).ShouldBeEmpty();
    }

    [Fact]
    public async Task AnotherUsersConversationIs404LikeAMissingOne()
    {
        var agentId = await app.CreateAgentAsync();
        using var owner = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        using var stranger = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        string conversationId;
        using (var first = await owner.SendAsync(agentId, "mine", ct: Ct))
        {
            conversationId = (await SseReader.ReadAllAsync(first, Ct))[0].Data.GetProperty("conversationId").GetString()!;
        }

        using var theirs = await stranger.SendAsync(agentId, "let me in", conversationId, Ct);
        using var missing = await stranger.SendAsync(agentId, "let me in", "no-such-conversation", Ct);

        var theirsBody = await ErrorBodyAsync(theirs, HttpStatusCode.NotFound);
        var missingBody = await ErrorBodyAsync(missing, HttpStatusCode.NotFound);
        theirsBody.GetProperty("error").GetString().ShouldBe($"Conversation with ID {conversationId} not found");
        missingBody.GetProperty("error").GetString().ShouldBe("Conversation with ID no-such-conversation not found");
        app.Fake.RequestsFor(stranger.ApiKey!).ShouldBeEmpty();
    }

    [Theory]
    [InlineData(401, "authentication_error", "invalid x-api-key", 500, null)]
    [InlineData(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", 429, 7)]
    [InlineData(500, "api_error", "Internal server error", 500, null)]
    [InlineData(529, "overloaded_error", "Overloaded", 503, 5)]
    public async Task AnthropicRefusingTheCallKeepsItsStatusFamilyAndRetryAfterWithItsErrorTypeAndAFailedTrace(
        int status, string errorType, string message, int answered, int? retryAfter)
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { FailStatus = status, FailErrorType = errorType, FailMessage = message, RetryAfterSeconds = status == 429 ? 7 : null });
        var agentId = await app.CreateAgentAsync();
        using var user = await app.NewUserAsync(apiKey: key);

        using var response = await user.SendAsync(agentId, "refuse me", ct: Ct);

        // "Slow down" stays a 429 with Anthropic's retry-after, an overload a 503; any other refusal is a 500.
        var body = await ErrorBodyAsync(response, (HttpStatusCode)answered);
        response.Headers.RetryAfter?.Delta.ShouldBe(retryAfter is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
        body.GetProperty("upstreamStatus").GetInt32().ShouldBe(status);
        body.GetProperty("upstreamErrorType").GetString().ShouldBe(errorType);
        body.GetProperty("error").GetString()!.ShouldContain(message);
        app.Fake.RequestsFor(key).Count.ShouldBe(1);

        var traceId = body.GetProperty("taskTraceId").GetString()!;
        (await app.Database.SingleAsync("SELECT status FROM task_trace WHERE id = $1", traceId))["status"].ShouldBe("failed");
        var session = await app.Database.SingleAsync("SELECT status, \"upstreamStatus\", \"upstreamRequestId\", error FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId);
        session["status"].ShouldBe("failed");
        session["upstreamStatus"].ShouldBe(status);
        ((string)session["upstreamRequestId"]!).ShouldStartWith("req_");
        ((string)session["error"]!).ShouldContain(errorType);
    }
}

public sealed class RateLimitedApp : CommandCenterApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("RateLimits:MessagesPerMinute", "2")];
}

public sealed class MessageRateLimitTests(RateLimitedApp app) : IClassFixture<RateLimitedApp>
{
    [Fact]
    public async Task MessagesBeyondTheUsersLimitAre429WithRetryAfterAndNeverReachAnthropic()
    {
        var ct = TestContext.Current.CancellationToken;
        var agentId = await app.CreateAgentAsync();
        using var busy = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        using var other = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());

        for (var i = 0; i < 2; i++)
        {
            using var allowed = await busy.SendAsync(agentId, $"message {i}", ct: ct);
            allowed.StatusCode.ShouldBe(HttpStatusCode.OK);
            await SseReader.ReadAllAsync(allowed, ct);
        }

        using var refused = await busy.SendAsync(agentId, "one too many", ct: ct);
        refused.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        refused.Headers.RetryAfter.ShouldNotBeNull();
        (await refused.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("error").GetString()!.ShouldContain("Too many messages");
        app.Fake.RequestsFor(busy.ApiKey!).Count.ShouldBe(2);

        using var someoneElse = await other.SendAsync(agentId, "my own budget", ct: ct);
        someoneElse.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
