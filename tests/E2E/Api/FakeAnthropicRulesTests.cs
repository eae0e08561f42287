using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>
/// The fake Anthropic upstream refuses what Anthropic refuses today (2026-12), per model, with Anthropic's error shape, and
/// streams thinking as each model does. Talks to the fake directly: no app, no database.
/// </summary>
public sealed class FakeAnthropicRulesTests : IAsyncLifetime
{
    private const string UpdatesBeta = "thinking-display-updates-2026-08-18";
    private const string Summary = "The user wants a reply. A short, friendly one will do.";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeAnthropicServer _fake = null!;
    private readonly HttpClient _http = new();

    public async ValueTask InitializeAsync() => _fake = await FakeAnthropicServer.StartAsync(Ct);

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _fake.DisposeAsync();
    }

    // ---- Retired and unknown models ----

    [Theory]
    [InlineData("claude-sonnet-4-5")]
    [InlineData("claude-sonnet-4-5-20250929")]
    [InlineData("claude-opus-4-1")]
    [InlineData("claude-opus-4-1-20250805")]
    [InlineData("claude-3-5-haiku")]
    [InlineData("claude-3-5-haiku-20241022")]
    public async Task ARetiredModelIs404WithTheMessageOfABadPath(string model)
    {
        using var badPath = await PostAsync(Body("claude-haiku-5-5"), path: "v1/nowhere");
        var badPathMessage = await RefusedAsync(badPath, HttpStatusCode.NotFound, "not_found_error");

        using var messages = await PostAsync(Body(model));
        (await RefusedAsync(messages, HttpStatusCode.NotFound, "not_found_error")).ShouldBe(badPathMessage);

        using var count = await PostAsync(CountBody(model), path: "v1/messages/count_tokens");
        (await RefusedAsync(count, HttpStatusCode.NotFound, "not_found_error")).ShouldBe(badPathMessage);
    }

    [Fact]
    public async Task AModelTheTableDoesNotKnowIsAcceptedWithAnyParameters()
    {
        var body = Body("claude-test-anything", Thinking("enabled"), effort: "xhigh");
        body["temperature"] = 0.2;
        body["top_k"] = 5;
        body["tool_choice"] = new JsonObject { ["type"] = "any" };
        body["tools"] = WeatherTool();

        using var response = await PostAsync(body);
        await AcceptedAsync(response);
    }

    // ---- thinking.type ----

    [Theory]
    [InlineData("claude-opus-5-5", "disabled")]
    [InlineData("claude-sonnet-5-5", "disabled")]
    [InlineData("claude-fable-5-2", "disabled")]
    [InlineData("claude-mythos-5-1", "disabled")]
    [InlineData("claude-fable-5-2", "enabled")]
    [InlineData("claude-fable-5", "enabled")]
    [InlineData("claude-mythos-5-2", "enabled")]
    [InlineData("claude-opus-5-5", "enabled")]
    [InlineData("claude-opus-5", "enabled")]
    [InlineData("claude-opus-4-8", "enabled")]
    [InlineData("claude-opus-4-7", "enabled")]
    [InlineData("claude-sonnet-5-5", "enabled")]
    [InlineData("claude-sonnet-5", "enabled")]
    [InlineData("claude-haiku-5-5", "enabled")]
    [InlineData("claude-opus-4-5", "adaptive")]
    [InlineData("claude-haiku-4-5-20251001", "adaptive")]
    [InlineData("claude-haiku-5-5", "between_tools")]
    [InlineData("claude-opus-5-5", "between_tools")]
    public async Task AThinkingTypeTheModelDoesNotAcceptIs400NamingTheField(string model, string type)
    {
        using var response = await PostAsync(Body(model, Thinking(type)));
        (await RefusedAsync(response)).ShouldBe($"thinking.type: '{type}' is not supported by {model}");
    }

    [Theory]
    [InlineData("claude-opus-4-6", "enabled")]
    [InlineData("claude-sonnet-4-6", "enabled")]
    [InlineData("claude-opus-4-5", "enabled")]
    [InlineData("claude-haiku-4-5", "enabled")]
    [InlineData("claude-opus-4-7", "adaptive")]
    [InlineData("claude-sonnet-5-5", "adaptive")]
    [InlineData("claude-opus-4-8", "disabled")]
    [InlineData("claude-sonnet-5", "disabled")]
    [InlineData("claude-haiku-4-5", "disabled")]
    public async Task AThinkingTypeTheModelAcceptsStreams(string model, string type)
    {
        using var response = await PostAsync(Body(model, Thinking(type)));
        await AcceptedAsync(response);
    }

    [Theory]
    [InlineData("claude-haiku-5-5", "disabled", "high", null)]
    [InlineData("claude-haiku-5-5", "disabled", null, null)] // default effort medium
    [InlineData("claude-haiku-5-5", "disabled", "xhigh", "high")]
    [InlineData("claude-haiku-5-5", "disabled", "max", "high")]
    [InlineData("claude-opus-5", "disabled", "high", null)]
    [InlineData("claude-opus-5", "disabled", null, null)] // default effort high
    [InlineData("claude-opus-5", "disabled", "xhigh", "high")]
    [InlineData("claude-sonnet-5-5", "between_tools", "high", null)]
    [InlineData("claude-sonnet-5-5", "between_tools", null, null)] // default effort high
    [InlineData("claude-sonnet-5-5", "between_tools", "xhigh", "high")]
    [InlineData("claude-sonnet-5-5", "between_tools", "max", "high")]
    public async Task AThinkingTypeCappedByEffortIsAcceptedUpToItsHighestEffortOnly(string model, string type, string? effort, string? highest)
    {
        using var response = await PostAsync(Body(model, Thinking(type), effort));
        if (highest is null)
        {
            await AcceptedAsync(response);
        }
        else
        {
            (await RefusedAsync(response)).ShouldBe($"thinking.type: '{type}' is not supported by {model} at effort '{effort}' (highest: '{highest}')");
        }
    }

    // ---- output_config.effort ----

    [Theory]
    [InlineData("claude-opus-4-6", "xhigh", false)]
    [InlineData("claude-sonnet-4-6", "xhigh", false)]
    [InlineData("claude-opus-4-6", "max", true)]
    [InlineData("claude-opus-4-5", "xhigh", false)]
    [InlineData("claude-opus-4-5", "max", false)]
    [InlineData("claude-opus-4-5", "high", true)]
    [InlineData("claude-haiku-4-5", "low", false)]
    [InlineData("claude-haiku-4-5-20251001", "high", false)]
    [InlineData("claude-fable-5-2", "max", true)]
    [InlineData("claude-opus-5-5", "xhigh", true)]
    [InlineData("claude-haiku-5-5", "low", true)]
    public async Task AnEffortTheModelDoesNotHaveIs400(string model, string effort, bool accepted)
    {
        using var response = await PostAsync(Body(model, effort: effort));
        if (accepted)
        {
            await AcceptedAsync(response);
        }
        else
        {
            (await RefusedAsync(response)).ShouldBe($"output_config.effort: '{effort}' is not supported by {model}");
        }
    }

    // ---- tool_choice ----

    [Theory]
    [InlineData("claude-opus-5-5", "any", false)]
    [InlineData("claude-sonnet-5-5", "tool", false)]
    [InlineData("claude-fable-5-1", "any", false)]
    [InlineData("claude-fable-5-2", "tool", false)]
    [InlineData("claude-mythos-5-1", "tool", false)]
    [InlineData("claude-mythos-5-2", "any", false)]
    [InlineData("claude-opus-5-5", "auto", true)]
    [InlineData("claude-sonnet-5-5", "none", true)]
    [InlineData("claude-haiku-5-5", "any", true)]
    [InlineData("claude-fable-5", "tool", true)]
    [InlineData("claude-opus-5", "any", true)]
    public async Task ForcedToolChoiceIs400OnTheModelsThatRefuseIt(string model, string choice, bool accepted)
    {
        var body = Body(model);
        body["tools"] = WeatherTool();
        body["tool_choice"] = choice == "tool" ? new JsonObject { ["type"] = "tool", ["name"] = "get_weather" } : new JsonObject { ["type"] = choice };

        using var response = await PostAsync(body);
        if (accepted)
        {
            await AcceptedAsync(response);
        }
        else
        {
            (await RefusedAsync(response)).ShouldBe($"tool_choice.type: '{choice}' is not supported by {model}");
        }
    }

    // ---- Sampling ----

    [Theory]
    [InlineData("claude-opus-4-7", "temperature", 1.0, "temperature: sampling parameters are not supported by claude-opus-4-7")]
    [InlineData("claude-opus-4-8", "top_p", 0.9, "top_p: sampling parameters are not supported by claude-opus-4-8")]
    [InlineData("claude-opus-5", "top_k", 40, "top_k: sampling parameters are not supported by claude-opus-5")]
    [InlineData("claude-opus-5-5", "temperature", 0.5, "temperature: sampling parameters are not supported by claude-opus-5-5")]
    [InlineData("claude-sonnet-5", "top_k", 40, "top_k: sampling parameters are not supported by claude-sonnet-5")]
    [InlineData("claude-sonnet-5-5", "top_p", 0.99, "top_p: sampling parameters are not supported by claude-sonnet-5-5")]
    [InlineData("claude-fable-5-2", "temperature", 0.7, "temperature: sampling parameters are not supported by claude-fable-5-2")]
    [InlineData("claude-mythos-5", "top_k", 10, "top_k: sampling parameters are not supported by claude-mythos-5")]
    [InlineData("claude-haiku-5-5", "top_k", 40, "top_k: sampling parameters are not supported by claude-haiku-5-5")]
    [InlineData("claude-haiku-5-5", "temperature", 0.5, "temperature: only 1 is supported by claude-haiku-5-5")]
    [InlineData("claude-haiku-5-5", "top_p", 0.9, "top_p: only 0.99 is supported by claude-haiku-5-5")]
    [InlineData("claude-haiku-5-5", "temperature", 1.0, null)]
    [InlineData("claude-haiku-5-5", "top_p", 0.99, null)]
    [InlineData("claude-opus-4-6", "temperature", 0.5, null)]
    [InlineData("claude-sonnet-4-6", "top_k", 40, null)]
    [InlineData("claude-haiku-4-5", "top_p", 0.9, null)]
    public async Task SamplingParametersAreRefusedWhereTheModelTakesNone(string model, string field, object value, string? refusal)
    {
        var body = Body(model);
        body[field] = JsonSerializer.SerializeToNode(value);

        using var response = await PostAsync(body);
        if (refusal is null)
        {
            await AcceptedAsync(response);
        }
        else
        {
            (await RefusedAsync(response)).ShouldBe(refusal);
        }
    }

    // ---- thinking.display ----

    [Theory]
    [InlineData("claude-sonnet-5-5", false, "thinking.display: 'updates' requires the anthropic-beta header 'thinking-display-updates-2026-08-18'")]
    [InlineData("claude-test-model", false, "thinking.display: 'updates' requires the anthropic-beta header 'thinking-display-updates-2026-08-18'")]
    [InlineData("claude-opus-5", true, "thinking.display: 'updates' is not supported by claude-opus-5")]
    [InlineData("claude-fable-5-2", true, "thinking.display: 'updates' is not supported by claude-fable-5-2")]
    [InlineData("claude-haiku-5-5", true, "thinking.display: 'updates' is not supported by claude-haiku-5-5")]
    [InlineData("claude-opus-4-6", true, "thinking.display: 'updates' is not supported by claude-opus-4-6")]
    [InlineData("claude-opus-5-5", true, null)]
    [InlineData("claude-sonnet-5-5", true, null)]
    [InlineData("claude-fable-5", true, null)]
    [InlineData("claude-fable-5-1", true, null)]
    [InlineData("claude-mythos-5-1", true, null)]
    [InlineData("claude-test-model", true, null)]
    public async Task UpdatesDisplayNeedsItsBetaAndAModelThatHasIt(string model, bool beta, string? refusal)
    {
        using var response = await PostAsync(Body(model, Thinking("adaptive", "updates")), beta ? $"some-other-beta-2026-01-01, {UpdatesBeta}" : null);
        if (refusal is null)
        {
            await AcceptedAsync(response);
        }
        else
        {
            (await RefusedAsync(response)).ShouldBe(refusal);
        }
    }

    [Theory]
    [InlineData("claude-opus-5-5")]
    [InlineData("claude-test-model")]
    public async Task ADisplayOtherThanSummarizedOmittedOrUpdatesIs400(string model)
    {
        using var response = await PostAsync(Body(model, Thinking("adaptive", "full")), UpdatesBeta);
        (await RefusedAsync(response)).ShouldBe("thinking.display: Input should be 'summarized', 'omitted' or 'updates'");
    }

    // ---- count_tokens ----

    [Fact]
    public async Task CountTokensRefusesWhatTheModelRefusesAndCountsTheRest()
    {
        var disabled = CountBody("claude-opus-5-5");
        disabled["thinking"] = Thinking("disabled");
        using (var response = await PostAsync(disabled, path: "v1/messages/count_tokens"))
        {
            (await RefusedAsync(response)).ShouldBe("thinking.type: 'disabled' is not supported by claude-opus-5-5");
        }

        var forced = CountBody("claude-sonnet-5-5");
        forced["tools"] = WeatherTool();
        forced["tool_choice"] = new JsonObject { ["type"] = "any" };
        using (var response = await PostAsync(forced, path: "v1/messages/count_tokens"))
        {
            (await RefusedAsync(response)).ShouldBe("tool_choice.type: 'any' is not supported by claude-sonnet-5-5");
        }

        var fine = CountBody("claude-opus-5-5");
        fine["thinking"] = Thinking("adaptive");
        using (var response = await PostAsync(fine, path: "v1/messages/count_tokens"))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("input_tokens").GetInt32().ShouldBePositive();
        }
    }

    // ---- Thinking display in the stream ----

    [Theory]
    [InlineData("claude-opus-4-6", "adaptive", null, Summary)] // 4.6 summarizes by default
    [InlineData("claude-haiku-4-5", "enabled", null, Summary)]
    [InlineData("claude-test-model", "adaptive", null, Summary)] // unknown: summarized
    [InlineData("claude-opus-5-5", "adaptive", null, "")] // 5.x omits by default
    [InlineData("claude-haiku-5-5", "adaptive", null, "")]
    [InlineData("claude-opus-5-5", "adaptive", "summarized", Summary)]
    [InlineData("claude-opus-4-6", "enabled", "omitted", "")]
    [InlineData("claude-sonnet-5-5", "adaptive", "omitted", "")]
    [InlineData("claude-sonnet-5-5", "adaptive", "updates", "")]
    public async Task ThinkingTextFollowsTheDisplayAskedForOrTheModelsDefault(string model, string type, string? display, string expected)
    {
        _fake.DefaultScenario = new FakeScenario { IncludeThinking = true };
        using var response = await PostAsync(Body(model, Thinking(type, display)), display == "updates" ? UpdatesBeta : null);

        var blocks = await BlocksAsync(response);
        var thinking = blocks.Where(b => b.Type == "thinking").ShouldHaveSingleItem();
        thinking.Thinking.ShouldBe(expected);
        thinking.Signature.ShouldNotBeNullOrEmpty();
        if (expected == "") thinking.ThinkingDeltas.ShouldBe(1); // omitted: one empty delta, then the signature
    }

    [Theory]
    [InlineData("summarized", true)]
    [InlineData("updates", true)]
    [InlineData("omitted", false)]
    [InlineData(null, false)] // Sonnet 5.5 omits by default: the UI goes silent
    public async Task OnSonnet55TheTextBetweenASearchAndTheAnswerComesAsAThinkingBlock(string? display, bool noteShown)
    {
        _fake.DefaultScenario = new FakeScenario { WebSearch = TwoResults() };
        using var response = await PostAsync(Body("claude-sonnet-5-5", Thinking("adaptive", display)), display == "updates" ? UpdatesBeta : null);

        var blocks = await BlocksAsync(response);
        blocks.Select(b => b.Type).ShouldBe(["server_tool_use", "web_search_tool_result", "thinking", "text"]);
        blocks[2].Thinking.ShouldBe(noteShown ? "Found 2 results; reading the most relevant one." : "");
        blocks[2].Signature.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task OnOpus55AFetchIsFollowedByTheScenariosNote()
    {
        _fake.DefaultScenario = new FakeScenario
        {
            IncludeThinking = true,
            WebFetch = new FakeWebFetch("https://example.com/", "Example"),
            BetweenToolsNote = "Fetched the page; summarising it now.",
        };
        using var response = await PostAsync(Body("claude-opus-5-5", Thinking("adaptive", "summarized")));

        var blocks = await BlocksAsync(response);
        blocks.Select(b => b.Type).ShouldBe(["thinking", "server_tool_use", "web_fetch_tool_result", "thinking", "text"]);
        blocks[3].Thinking.ShouldBe("Fetched the page; summarising it now.");
    }

    [Theory]
    [InlineData("claude-haiku-5-5")]
    [InlineData("claude-opus-5")]
    [InlineData("claude-test-model")]
    public async Task OtherModelsPutNoThinkingBlockBetweenASearchAndTheAnswer(string model)
    {
        _fake.DefaultScenario = new FakeScenario { WebSearch = TwoResults() };
        using var response = await PostAsync(Body(model, Thinking("adaptive", "summarized")));

        var blocks = await BlocksAsync(response);
        blocks.Select(b => b.Type).ShouldBe(["server_tool_use", "web_search_tool_result", "text"]);
    }

    [Fact]
    public async Task APausedTurnWithAnEmptyBetweenToolsThinkingBlockIsAcceptedWhenSentBack()
    {
        _fake.DefaultScenario = new FakeScenario
        {
            WebSearch = TwoResults(),
            StopReason = "pause_turn",
            Continuation = new FakeScenario { Chunks = ["Done."] },
        };
        using (var first = await PostAsync(Body("claude-sonnet-5-5")))
        {
            await AcceptedAsync(first);
        }

        var paused = _fake.Requests.Single();
        await paused.Ended;
        var content = paused.StreamedContent.AsArray();
        content.Select(b => b!["type"]!.GetValue<string>()).ShouldContain("thinking");
        content.Single(b => b!["type"]!.GetValue<string>() == "thinking")!["thinking"]!.GetValue<string>().ShouldBe("");

        var again = Body("claude-sonnet-5-5");
        again["messages"]!.AsArray().Add(new JsonObject { ["role"] = "assistant", ["content"] = content });
        using var second = await PostAsync(again);
        var blocks = await BlocksAsync(second);
        blocks.ShouldHaveSingleItem().Text.ShouldBe("Done.");
    }

    // ---- Refusals and usage ----

    [Theory]
    [InlineData(null, "cyber")]
    [InlineData("bio", "bio")]
    public async Task ARefusalCarriesStopDetailsWithItsCategory(string? category, string expected)
    {
        _fake.DefaultScenario = category is null
            ? new FakeScenario { StopReason = "refusal" }
            : new FakeScenario { StopReason = "refusal", RefusalCategory = category, RefusalExplanation = "Not this one." };
        using var response = await PostAsync(Body("claude-opus-5-5"));

        var delta = (await AcceptedAsync(response)).Single(e => e.Type == "message_delta").Data.GetProperty("delta");
        delta.GetProperty("stop_reason").GetString().ShouldBe("refusal");
        var details = delta.GetProperty("stop_details");
        details.GetProperty("type").GetString().ShouldBe("refusal");
        details.GetProperty("category").GetString().ShouldBe(expected);
        details.GetProperty("explanation").GetString().ShouldNotBeNullOrWhiteSpace();
        if (category is not null) details.GetProperty("explanation").GetString().ShouldBe("Not this one.");
    }

    [Fact]
    public async Task AnEndedTurnHasNoStopDetails()
    {
        using var response = await PostAsync(Body("claude-opus-5-5"));

        var delta = (await AcceptedAsync(response)).Single(e => e.Type == "message_delta").Data.GetProperty("delta");
        delta.GetProperty("stop_reason").GetString().ShouldBe("end_turn");
        delta.TryGetProperty("stop_details", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task UsageReportsCacheReadsAndTheCacheCreationBreakdown()
    {
        _fake.DefaultScenario = new FakeScenario { Usage = new FakeUsage(100, 20, CacheCreation5mTokens: 30, CacheCreation1hTokens: 40, CacheReadTokens: 500) };
        using var response = await PostAsync(Body("claude-sonnet-5-5"));

        var events = await AcceptedAsync(response);
        var start = events.Single(e => e.Type == "message_start").Data.GetProperty("message").GetProperty("usage");
        start.GetProperty("cache_read_input_tokens").GetInt32().ShouldBe(500);
        start.GetProperty("cache_creation_input_tokens").GetInt32().ShouldBe(70);
        start.GetProperty("cache_creation").GetProperty("ephemeral_5m_input_tokens").GetInt32().ShouldBe(30);
        start.GetProperty("cache_creation").GetProperty("ephemeral_1h_input_tokens").GetInt32().ShouldBe(40);
        var end = events.Single(e => e.Type == "message_delta").Data.GetProperty("usage");
        end.GetProperty("cache_read_input_tokens").GetInt32().ShouldBe(500);
        end.GetProperty("cache_creation_input_tokens").GetInt32().ShouldBe(70);
    }

    // ---- Non-streaming ----

    [Theory]
    [InlineData(false)]
    [InlineData(null)]
    public async Task WithoutStreamTheWholeMessageComesAtOnceWithTheBlocksAndUsageOfTheStream(bool? stream)
    {
        _fake.DefaultScenario = new FakeScenario
        {
            IncludeThinking = true, IncludeToolUse = true, StopReason = "tool_use",
            Usage = new FakeUsage(100, 20, CacheCreation5mTokens: 30, CacheReadTokens: 500, ThinkingTokens: 7),
        };
        var body = Body("claude-opus-4-6");
        if (stream is null) body.Remove("stream");
        else body["stream"] = stream;

        using var response = await PostAsync(body);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        response.Headers.GetValues("request-id").Single().ShouldStartWith("req_");
        var message = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        message.GetProperty("id").GetString().ShouldStartWith("msg_");
        message.GetProperty("type").GetString().ShouldBe("message");
        message.GetProperty("role").GetString().ShouldBe("assistant");
        message.GetProperty("model").GetString().ShouldBe("claude-opus-4-6");
        message.GetProperty("stop_reason").GetString().ShouldBe("tool_use");
        message.GetProperty("stop_sequence").ValueKind.ShouldBe(JsonValueKind.Null);

        var content = message.GetProperty("content");
        content.EnumerateArray().Select(b => b.GetProperty("type").GetString()).ShouldBe(["thinking", "text", "tool_use"]);
        content[0].GetProperty("thinking").GetString().ShouldBe(Summary);
        content[0].GetProperty("signature").GetString().ShouldNotBeNullOrEmpty();
        content[1].GetProperty("text").GetString().ShouldBe("Hello, world!");
        content[2].GetProperty("input").GetProperty("location").GetString().ShouldBe("San Francisco, CA");
        var recorded = _fake.Requests.Single();
        await recorded.Ended;
        JsonNode.DeepEquals(JsonNode.Parse(content.GetRawText()), recorded.StreamedContent).ShouldBeTrue();

        var usage = message.GetProperty("usage");
        usage.GetProperty("input_tokens").GetInt32().ShouldBe(100);
        usage.GetProperty("output_tokens").GetInt32().ShouldBe(20);
        usage.GetProperty("cache_creation_input_tokens").GetInt32().ShouldBe(30);
        usage.GetProperty("cache_creation").GetProperty("ephemeral_5m_input_tokens").GetInt32().ShouldBe(30);
        usage.GetProperty("cache_read_input_tokens").GetInt32().ShouldBe(500);
        usage.GetProperty("output_tokens_details").GetProperty("thinking_tokens").GetInt32().ShouldBe(7);
    }

    [Fact]
    public async Task WithoutStreamAnOverloadMidReplyIsA529AndAScenarioFailureItsStatus()
    {
        var body = Body("claude-sonnet-5-5");
        body["stream"] = false;

        _fake.DefaultScenario = new FakeScenario { ErrorAfterChunks = 2 };
        using (var overloaded = await PostAsync(body))
            await RefusedAsync(overloaded, (HttpStatusCode)529, "overloaded_error");

        _fake.DefaultScenario = new FakeScenario { FailStatus = 429, FailErrorType = "rate_limit_error", RetryAfterSeconds = 7 };
        using var limited = await PostAsync(body);
        limited.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(7));
        await RefusedAsync(limited, HttpStatusCode.TooManyRequests, "rate_limit_error");
    }

    [Fact]
    public async Task ANonStreamingScenarioAnswersOnlyRequestsForTheWholeMessage()
    {
        _fake.DefaultScenario = new FakeScenario { FailStatus = 529, FailErrorType = "overloaded_error", NonStreaming = new FakeScenario { Chunks = ["Whole."] } };

        using (var streamed = await PostAsync(Body("claude-sonnet-5-5")))
            await RefusedAsync(streamed, (HttpStatusCode)529, "overloaded_error");

        var body = Body("claude-sonnet-5-5");
        body["stream"] = false;
        using var whole = await PostAsync(body);
        whole.StatusCode.ShouldBe(HttpStatusCode.OK);
        var message = await whole.Content.ReadFromJsonAsync<JsonElement>(Ct);
        message.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("Whole.");
    }

    [Fact]
    public async Task AStreamFlagThatIsNotABooleanIs400()
    {
        var body = Body("claude-sonnet-5-5");
        body["stream"] = "yes";

        using var response = await PostAsync(body);

        (await RefusedAsync(response)).ShouldStartWith("stream:");
    }

    // ---- Helpers ----

    private async Task<HttpResponseMessage> PostAsync(JsonObject body, string? beta = null, string path = "v1/messages")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_fake.BaseUrl, path)) { Content = JsonContent.Create(body) };
        request.Headers.Add("x-api-key", "sk-ant-rules-test");
        request.Headers.Add("anthropic-version", "2026-10-21");
        if (beta is not null) request.Headers.Add("anthropic-beta", beta);
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
    }

    private static JsonObject Body(string model, JsonObject? thinking = null, string? effort = null)
    {
        var body = CountBody(model);
        body["max_tokens"] = 1024;
        body["stream"] = true;
        if (thinking is not null) body["thinking"] = thinking;
        if (effort is not null) body["output_config"] = new JsonObject { ["effort"] = effort };
        return body;
    }

    private static JsonObject CountBody(string model) => new()
    {
        ["model"] = model,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "What is new today?" }),
    };

    private static JsonObject Thinking(string type, string? display = null)
    {
        var thinking = new JsonObject { ["type"] = type };
        if (type == "enabled") thinking["budget_tokens"] = 1024;
        if (display is not null) thinking["display"] = display;
        return thinking;
    }

    private static JsonArray WeatherTool() => new(new JsonObject
    {
        ["name"] = "get_weather",
        ["description"] = "The weather at a place.",
        ["input_schema"] = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["location"] = new JsonObject { ["type"] = "string" } } },
    });

    private static FakeWebSearch TwoResults() => new("news today",
    [
        new FakeSearchResult("https://example.com/a", "A", "First."),
        new FakeSearchResult("https://example.com/b", "B", "Second."),
    ]);

    /// <summary>Anthropic's error shape: the status, <c>{"type":"error","error":{type,message},"request_id"}</c>, the same id in the header; returns the message.</summary>
    private static async Task<string> RefusedAsync(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.BadRequest, string type = "invalid_request_error")
    {
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        response.StatusCode.ShouldBe(status, body.ToString());
        body.GetProperty("type").GetString().ShouldBe("error");
        body.GetProperty("error").GetProperty("type").GetString().ShouldBe(type);
        var requestId = body.GetProperty("request_id").GetString()!;
        requestId.ShouldStartWith("req_");
        response.Headers.GetValues("request-id").ShouldBe([requestId]);
        return body.GetProperty("error").GetProperty("message").GetString()!;
    }

    /// <summary>A 200 stream read to its end, which must be <c>message_stop</c>.</summary>
    private static async Task<List<ReceivedEvent>> AcceptedAsync(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.OK)
            throw new ShouldAssertException($"Expected 200, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
        var events = await SseReader.ReadAllAsync(response, Ct);
        events.Last().Type.ShouldBe("message_stop");
        return events;
    }

    private sealed class Block(string type)
    {
        public string Type { get; } = type;
        public string Thinking { get; set; } = "";
        public string Text { get; set; } = "";
        public string? Signature { get; set; }
        public int ThinkingDeltas { get; set; }
    }

    /// <summary>The content blocks a stream built, in order, with their thinking and text put together from the deltas.</summary>
    private static async Task<List<Block>> BlocksAsync(HttpResponseMessage response)
    {
        var blocks = new List<Block>();
        foreach (var e in await AcceptedAsync(response))
        {
            switch (e.Type)
            {
                case "content_block_start":
                    e.Data.GetProperty("index").GetInt32().ShouldBe(blocks.Count);
                    blocks.Add(new Block(e.Data.GetProperty("content_block").GetProperty("type").GetString()!));
                    break;
                case "content_block_delta":
                    var block = blocks[e.Data.GetProperty("index").GetInt32()];
                    var delta = e.Data.GetProperty("delta");
                    switch (delta.GetProperty("type").GetString())
                    {
                        case "thinking_delta":
                            block.Thinking += delta.GetProperty("thinking").GetString();
                            block.ThinkingDeltas++;
                            break;
                        case "signature_delta":
                            block.Signature = delta.GetProperty("signature").GetString();
                            break;
                        case "text_delta":
                            block.Text += delta.GetProperty("text").GetString();
                            break;
                    }
                    break;
            }
        }
        return blocks;
    }
}
