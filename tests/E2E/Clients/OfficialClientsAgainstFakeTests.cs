using System.Text.Json;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Clients;

/// <summary>
/// The official TypeScript SDK and Claude Code (pinned in package.json), run as real processes against the fake
/// Anthropic upstream: they accept its wire protocol, and the fake records what they send. The gateway tests run the
/// same clients through <see cref="NodeClients"/> with the gateway's URL and an integration key instead.
/// </summary>
public sealed class OfficialClientsAgainstFakeTests : IAsyncLifetime
{
    private const string Model = "claude-sonnet-5-5";
    private static readonly string[] Chunks = ["Hello", " from", " the", " fake."];
    private static readonly FakeUsage Usage = new(InputTokens: 1234, OutputTokens: 56, CacheCreation5mTokens: 7, CacheReadTokens: 89);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeAnthropicServer _fake = null!;

    public async ValueTask InitializeAsync()
    {
        await NodeClients.EnsureInstalledAsync(Ct);
        _fake = await FakeAnthropicServer.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task TheSdkStreamsCreatesCountsAndListsEveryPageOfModels()
    {
        const string key = "cc_sdk_check";
        _fake.SetScenario(key, new FakeScenario { Chunks = Chunks, Usage = Usage });
        _fake.ModelsPerPage = 5; // so listing all models takes several pages

        var run = await NodeClients.RunSdkCheckAsync(_fake.BaseUrl, key, Model, Ct);

        run.ExitCode.ShouldBe(0, run.ToString());
        var json = run.Json;
        var stream = json.GetProperty("stream");
        stream.GetProperty("text").GetString().ShouldBe(string.Concat(Chunks));
        stream.GetProperty("finalText").GetString().ShouldBe(string.Concat(Chunks));
        stream.GetProperty("stopReason").GetString().ShouldBe("end_turn");
        stream.GetProperty("model").GetString().ShouldBe(Model);
        ShouldMatchScenario(stream.GetProperty("usage"));
        var message = json.GetProperty("message");
        message.GetProperty("text").GetString().ShouldBe(string.Concat(Chunks));
        message.GetProperty("stopReason").GetString().ShouldBe("end_turn");
        ShouldMatchScenario(message.GetProperty("usage"));

        // What the fake recorded: one streaming and one whole message, one count, and the model list page by page.
        var requests = _fake.RequestsFor(key);
        requests.Select(r => r.Json.GetProperty("stream").GetBoolean()).ShouldBe([true, false]);
        requests.ShouldAllBe(r => r.Path == "/v1/messages" && r.Json.GetProperty("model").GetString() == Model);
        requests.ShouldAllBe(r => r.Headers["authorization"] == "Bearer " + key && r.Headers.ContainsKey("anthropic-version"));
        var count = _fake.TokenCountRequests.ShouldHaveSingleItem();
        json.GetProperty("countTokens").GetInt32().ShouldBe(FakeTokens.Count(count.Json));

        var models = json.GetProperty("models").EnumerateArray().Select(m => m.GetString()!).ToList();
        models.ShouldContain(Model);
        models.ShouldBeUnique();
        _fake.ModelListRequests.Count.ShouldBe((models.Count + 4) / 5);
        _fake.ModelListRequests.ShouldAllBe(r => r.ApiKey == key);
    }

    [Fact]
    public async Task TheSdkReportsAnApiErrorWithItsStatusAndType()
    {
        const string key = "cc_sdk_limited";
        _fake.SetScenario(key, new FakeScenario { FailStatus = 429, FailErrorType = "rate_limit_error", FailMessage = "Slow down", RetryAfterSeconds = 1 });

        var run = await NodeClients.RunSdkCheckAsync(_fake.BaseUrl, key, Model, Ct);

        run.ExitCode.ShouldBe(1, run.ToString());
        var error = run.Json.GetProperty("error");
        error.GetProperty("status").GetInt32().ShouldBe(429);
        error.GetProperty("type").GetString().ShouldBe("rate_limit_error");
        error.GetProperty("message").GetString().ShouldBe("Slow down");
        error.GetProperty("step").GetString().ShouldBe("stream");
        _fake.RequestsFor(key).ShouldHaveSingleItem(); // no retries
    }

    [Theory]
    [InlineData(KeyVariable.AuthToken, "authorization", "Bearer cc_claude_code")]
    [InlineData(KeyVariable.ApiKey, "x-api-key", "cc_claude_code")]
    public async Task ClaudeCodeAnswersOnePromptFromOneStreamedRequest(KeyVariable keyVariable, string header, string value)
    {
        const string key = "cc_claude_code";
        _fake.SetScenario(key, new FakeScenario { Chunks = Chunks, Usage = Usage });

        var run = await NodeClients.RunClaudeCodeAsync(_fake.BaseUrl, key, Model, "Say hello.", Ct, keyVariable);

        run.ExitCode.ShouldBe(0, run.ToString());
        var result = run.Json;
        result.GetProperty("type").GetString().ShouldBe("result");
        result.GetProperty("subtype").GetString().ShouldBe("success", run.ToString());
        result.GetProperty("is_error").GetBoolean().ShouldBeFalse();
        result.GetProperty("result").GetString().ShouldBe(string.Concat(Chunks));
        ShouldMatchScenario(result.GetProperty("usage"));
        result.GetProperty("modelUsage").EnumerateObject().ShouldHaveSingleItem().Name.ShouldBe(Model);

        // One streamed request to /v1/messages (its beta endpoint, ?beta=true, which the fake records without the query),
        // with Claude Code's beta flag; nothing else: no token count, no model list, no connectivity check.
        var request = _fake.Requests.ShouldHaveSingleItem();
        request.Method.ShouldBe("POST");
        request.Path.ShouldBe("/v1/messages");
        request.Headers[header].ShouldBe(value);
        request.Headers["anthropic-version"].ShouldBe("2023-06-01");
        request.Headers["anthropic-beta"].Split(',').ShouldContain("claude-code-20250219");
        request.Json.GetProperty("stream").GetBoolean().ShouldBeTrue();
        request.Json.GetProperty("model").GetString().ShouldBe(Model);
        request.Json.GetProperty("tools").GetArrayLength().ShouldBeGreaterThan(0);
        request.Json.TryGetProperty("tool_choice", out _).ShouldBeFalse();
        _fake.TokenCountRequests.ShouldBeEmpty();
        _fake.ModelListRequests.ShouldBeEmpty();
    }

    [Fact]
    public async Task ClaudeCodeFallsBackToAWholeMessageWhenTheStreamBreaks()
    {
        const string key = "cc_claude_code_fallback";
        var broken = new FakeUsage(InputTokens: 500, OutputTokens: 9);
        _fake.SetScenario(key, new FakeScenario
        {
            ErrorAfterChunks = 1, Usage = broken, NonStreaming = new FakeScenario { Chunks = Chunks, Usage = Usage },
        });

        var run = await NodeClients.RunClaudeCodeAsync(_fake.BaseUrl, key, Model, "Say hello.", Ct);

        run.ExitCode.ShouldBe(0, run.ToString());
        var result = run.Json;
        result.GetProperty("is_error").GetBoolean().ShouldBeFalse();
        result.GetProperty("result").GetString().ShouldBe(string.Concat(Chunks));
        // The model's usage is the whole message's; the run's total also counts what the broken stream reported before
        // it broke (message_start: its input, 1 output token) — tokens a gateway relaying both would see billed twice.
        var modelUsage = result.GetProperty("modelUsage").GetProperty(Model);
        modelUsage.GetProperty("inputTokens").GetInt32().ShouldBe(Usage.InputTokens);
        modelUsage.GetProperty("outputTokens").GetInt32().ShouldBe(Usage.OutputTokens);
        result.GetProperty("usage").GetProperty("input_tokens").GetInt32().ShouldBe(broken.InputTokens + Usage.InputTokens);
        result.GetProperty("usage").GetProperty("output_tokens").GetInt32().ShouldBe(1 + Usage.OutputTokens);
        var requests = _fake.Requests;
        requests.Select(r => r.Json.GetProperty("stream").GetBoolean()).ShouldBe([true, false]);
        requests.ShouldAllBe(r => r.Path == "/v1/messages" && r.Json.GetProperty("model").GetString() == Model);
    }

    [Fact]
    public async Task ClaudeCodeReportsARefusedKeyAsAnErrorResult()
    {
        const string key = "cc_claude_code_refused";
        _fake.SetScenario(key, new FakeScenario { FailStatus = 401, FailErrorType = "authentication_error", FailMessage = "invalid x-api-key" });

        var run = await NodeClients.RunClaudeCodeAsync(_fake.BaseUrl, key, Model, "Say hello.", Ct);

        run.ExitCode.ShouldNotBe(0, run.ToString());
        var result = run.Json;
        result.GetProperty("is_error").GetBoolean().ShouldBeTrue(run.ToString());
        result.GetProperty("api_error_status").GetInt32().ShouldBe(401, run.ToString());
        _fake.Requests.ShouldHaveSingleItem().ApiKey.ShouldBe(key);
    }

    private static void ShouldMatchScenario(JsonElement usage)
    {
        usage.GetProperty("input_tokens").GetInt32().ShouldBe(Usage.InputTokens);
        usage.GetProperty("output_tokens").GetInt32().ShouldBe(Usage.OutputTokens);
        usage.GetProperty("cache_creation_input_tokens").GetInt32().ShouldBe(Usage.CacheCreation5mTokens + Usage.CacheCreation1hTokens);
        usage.GetProperty("cache_read_input_tokens").GetInt32().ShouldBe(Usage.CacheReadTokens);
    }
}
