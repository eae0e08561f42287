using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>Agents that think, search and fetch: their settings, the request Anthropic gets, and the events a client sees.</summary>
public sealed class AgentToolsTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly FakeWebSearch Search = new("claude shannon birth date",
    [
        new("https://en.wikipedia.org/wiki/Claude_Shannon", "Claude Shannon - Wikipedia", "Claude Elwood Shannon (April 30, 1916 – February 24, 2001)"),
        new("https://www.britannica.com/biography/Claude-Shannon", "Claude Shannon | Britannica", "born April 30, 1916, Petoskey, Michigan"),
    ]);

    private async Task<string> AgentAsync(object settings, int maxTokens = 4096, string model = "claude-sonnet-4-6")
    {
        using var admin = await app.AdminAsync();
        var body = JsonSerializer.SerializeToNode(new { name = $"Agent {Guid.NewGuid():N}", model, systemPrompt = "Be exact.", maxTokens })!.AsObject();
        foreach (var (key, value) in JsonSerializer.SerializeToNode(settings)!.AsObject())
        {
            body[key] = value?.DeepClone();
        }

        var response = await admin.PostAsJsonAsync("/api/agents", body, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
    }

    private static async Task<(List<ReceivedEvent> Events, string Raw)> SendAsync(TestUser user, string agentId, string message = "When was Claude Shannon born?")
    {
        using var response = await user.SendAsync(agentId, message, ct: Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var raw = await response.Content.ReadAsStringAsync(Ct);
        using var again = new HttpResponseMessage { Content = new StringContent(raw) };
        return (await SseReader.ReadAllAsync(again, Ct), raw);
    }

    [Fact]
    public async Task SettingsAreStoredNormalisedAndShownAndAnAgentWithoutThemHasThemOff()
    {
        var id = await AgentAsync(new
        {
            thinking = new { mode = "adaptive", effort = "high", show = true },
            webSearch = new { enabled = true, maxUses = 3, allowedDomains = new[] { " Docs.Python.org ", "docs.python.org", "Example.com/Guide" } },
            webFetch = new { enabled = true },
        });
        using var admin = await app.AdminAsync();

        var agent = await admin.GetFromJsonAsync<JsonElement>($"/api/agents/{id}", Ct);
        agent.GetProperty("thinking").GetRawText().ShouldBe("""{"mode":"adaptive","effort":"high","budgetTokens":null,"show":true}""");
        agent.GetProperty("webSearch").GetProperty("allowedDomains").EnumerateArray().Select(d => d.GetString()).ShouldBe(["docs.python.org", "example.com/Guide"]);
        agent.GetProperty("webSearch").GetProperty("maxUses").GetInt32().ShouldBe(3);
        agent.GetProperty("webFetch").GetProperty("enabled").GetBoolean().ShouldBeTrue();

        var plain = await admin.GetFromJsonAsync<JsonElement>($"/api/agents/{await app.CreateAgentAsync()}", Ct);
        plain.GetProperty("thinking").GetProperty("mode").GetString().ShouldBe("off");
        plain.GetProperty("webSearch").GetProperty("enabled").GetBoolean().ShouldBeFalse();
        plain.GetProperty("webFetch").GetProperty("enabled").GetBoolean().ShouldBeFalse();
    }

    [Theory]
    [InlineData("""{"thinking":{"mode":"budget","budgetTokens":4096}}""", "thinking.budgetTokens", "less than max tokens")]
    [InlineData("""{"thinking":{"mode":"budget","budgetTokens":512}}""", "thinking.budgetTokens", "at least 1,024")]
    [InlineData("""{"thinking":{"mode":"budget"}}""", "thinking.budgetTokens", "needs budgetTokens")]
    [InlineData("""{"thinking":{"mode":"sometimes"}}""", "thinking.mode", "off, adaptive, budget or between_tools")]
    [InlineData("""{"thinking":{"mode":"adaptive","effort":"extreme"}}""", "thinking.effort", "low, medium, high, xhigh or max")]
    [InlineData("""{"webSearch":{"enabled":true,"maxUses":0}}""", "webSearch.maxUses", "between 1 and 50")]
    [InlineData("""{"webSearch":{"enabled":true,"allowedDomains":["a.com"],"blockedDomains":["b.com"]}}""", "webSearch.blockedDomains", "not both")]
    [InlineData("""{"webSearch":{"enabled":true,"allowedDomains":["https://a.com"]}}""", "webSearch.allowedDomains", "is not a domain")]
    [InlineData("""{"webSearch":{"enabled":true,"blockedDomains":[null]}}""", "webSearch.blockedDomains", "is not a domain")]
    public async Task AnInvalidCombinationIs400NamingTheFieldAndSavesNothing(string settings, string field, string error)
    {
        using var admin = await app.AdminAsync();
        var name = $"Refused {Guid.NewGuid():N}";
        var body = JsonSerializer.SerializeToNode(new { name, model = "claude-sonnet-4-6", systemPrompt = "x", maxTokens = 4096 })!.AsObject();
        foreach (var (key, value) in System.Text.Json.Nodes.JsonNode.Parse(settings)!.AsObject())
        {
            body[key] = value?.DeepClone();
        }

        var response = await admin.PostAsJsonAsync("/api/agents", body, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        problem.GetProperty("errors").GetProperty(field)[0].GetString()!.ShouldContain(error);
        (await app.Database.QueryAsync("SELECT 1 FROM agents WHERE name = $1", name)).ShouldBeEmpty();
    }

    [Fact]
    public async Task TheRequestCarriesTheAgentsThinkingAndToolsAndAPlainAgentsCarriesNone()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { Chunks = ["Done."] });
        var adaptive = await AgentAsync(new
        {
            thinking = new { mode = "adaptive", effort = "high", show = true },
            webSearch = new { enabled = true, maxUses = 2, blockedDomains = new[] { "reddit.com" } },
            webFetch = new { enabled = true },
        });
        var budget = await AgentAsync(new { thinking = new { mode = "budget", budgetTokens = 2048 } });
        var plain = await app.CreateAgentAsync();
        foreach (var agent in (string[])[adaptive, budget, plain])
        {
            await SendAsync(user, agent);
        }

        var requests = app.Fake.RequestsFor(user.ApiKey!);
        var first = requests[0].Json;
        first.GetProperty("thinking").GetRawText().ShouldBe("""{"type":"adaptive","display":"summarized"}""");
        first.GetProperty("output_config").GetRawText().ShouldBe("""{"effort":"high"}""");
        first.GetProperty("tools").GetRawText().ShouldBe(
            """[{"type":"web_search_20260318","name":"web_search","max_uses":2,"blocked_domains":["reddit.com"]},{"type":"web_fetch_20260318","name":"web_fetch"}]""");
        // Today's tool versions need no beta header (ANTHROPIC.md §3, O13).
        requests[0].Headers.ContainsKey("anthropic-beta").ShouldBeFalse();

        requests[1].Json.GetProperty("thinking").GetRawText().ShouldBe("""{"type":"enabled","budget_tokens":2048,"display":"omitted"}""");
        requests[1].Json.TryGetProperty("tools", out _).ShouldBeFalse();
        requests[1].Headers.ContainsKey("anthropic-beta").ShouldBeFalse();

        // Off is said: some models think unless told not to.
        requests[2].Json.GetProperty("thinking").GetRawText().ShouldBe("""{"type":"disabled"}""");
        foreach (var field in (string[])["output_config", "tools"])
        {
            requests[2].Json.TryGetProperty(field, out _).ShouldBeFalse(field);
        }
    }

    [Fact]
    public async Task ShownThinkingStreamsAsThinkingEventsBeforeTheText()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { Chunks = ["Four."], IncludeThinking = true, IncludeRedactedThinking = true });
        var agent = await AgentAsync(new { thinking = new { mode = "adaptive", show = true } });

        var (events, raw) = await SendAsync(user, agent);

        events.Where(e => e.Type == "thinking").Select(e => e.Text).ShouldBe(["The user wants a reply.", " A short, friendly one will do."]);
        events.FindIndex(e => e.Type == "thinking").ShouldBeLessThan(events.FindIndex(e => e.Type == "chunk"));
        raw.ShouldNotContain("EqQBCgIYAhIM", customMessage: "a thinking signature never leaves the server");
        raw.ShouldNotContain("EmwKAhgBEgy3va3pzix", customMessage: "redacted thinking never leaves the server");
        (await StoredReplyAsync(user, events)).GetProperty("activity").GetProperty("thinking").GetString().ShouldBe("The user wants a reply. A short, friendly one will do.");
    }

    /// <summary>The reply as <c>GET /api/conversations/{id}</c> gives it back, as a reloaded page shows it.</summary>
    private static async Task<JsonElement> StoredReplyAsync(TestUser user, List<ReceivedEvent> events)
    {
        var conversation = await user.Client.GetFromJsonAsync<JsonElement>($"/api/conversations/{events[0].Data.GetProperty("conversationId").GetString()}", Ct);
        return conversation.GetProperty("messages").EnumerateArray().Single(m => m.GetProperty("id").GetString() == events[0].Data.GetProperty("messageId").GetString());
    }

    [Fact]
    public async Task HiddenThinkingSendsNothingOfItAndIsStillBilledAsOutput()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario
        {
            Chunks = ["Four."], IncludeThinking = true, IncludeRedactedThinking = true, Usage = new FakeUsage(20, 400, ThinkingTokens: 380),
        });
        var agent = await AgentAsync(new { thinking = new { mode = "budget", budgetTokens = 1024, show = false } });

        var (events, raw) = await SendAsync(user, agent);

        events.Select(e => e.Type).ShouldBe(["meta", "chunk", "cost", "done"]);
        raw.ShouldNotContain("The user wants a reply");
        raw.ShouldNotContain("EqQBCgIYAhIM");
        var cost = events.Single(e => e.Type == "cost").Data;
        cost.GetProperty("outputTokens").GetInt32().ShouldBe(400, "thinking tokens are output tokens");
        cost.GetProperty("thinkingTokens").GetInt32().ShouldBe(380, "as Anthropic reported them: of the output, not on top");
        cost.GetProperty("totalCost").GetDecimal().ShouldBe(0.00606m); // 20 × $3 + 400 × $15 per million
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        await app.TraceEndedAsync(traceId);
        (await app.Database.SingleAsync("SELECT \"thinkingTokens\", \"tokensOut\" FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId))
            .Values.ShouldBe([380, 400]);
        var detail = await user.Client.GetFromJsonAsync<JsonElement>($"/api/traces/{traceId}", Ct);
        (detail.GetProperty("tokens").GetProperty("output").GetInt32(), detail.GetProperty("tokens").GetProperty("thinking").GetInt32()).ShouldBe((400, 380));
        (await StoredReplyAsync(user, events)).GetProperty("activity").ValueKind.ShouldBe(JsonValueKind.Null, "hidden thinking is not stored either");
    }

    [Fact]
    public async Task AWebSearchStreamsItsCallItsResultAndItsSourcesAndItsFeeIsInTheCost()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario
        {
            Chunks = ["He was born ", "on April 30, 1916."], WebSearch = Search, Usage = new FakeUsage(1_000, 100, WebSearchRequests: 1),
        });
        var agent = await AgentAsync(new { webSearch = new { enabled = true } });

        var (events, _) = await SendAsync(user, agent);

        var tools = events.Where(e => e.Type == "tool").Select(e => e.Data.GetRawText()).ToList();
        tools.ShouldBe(
        [
            """{"name":"web_search","input":{"query":"claude shannon birth date"},"status":"running","results":null,"error":null}""",
            """{"name":"web_search","input":{"query":"claude shannon birth date"},"status":"done","results":2,"error":null}""",
        ]);
        var citations = events.Where(e => e.Type == "citation").Select(e => e.Data).ToList();
        citations.Select(c => c.GetProperty("url").GetString()).ShouldBe(Search.Results.Select(r => r.Url));
        citations[0].GetProperty("title").GetString().ShouldBe("Claude Shannon - Wikipedia");
        citations[0].GetProperty("citedText").GetString().ShouldBe(Search.Results[0].CitedText);
        string.Concat(events.Where(e => e.Type == "chunk").Select(e => e.Text)).ShouldBe("He was born on April 30, 1916.");

        var cost = events.Single(e => e.Type == "cost").Data;
        cost.GetProperty("serverToolUse").GetProperty("webSearchRequests").GetInt32().ShouldBe(1);
        cost.GetProperty("toolFees").GetDecimal().ShouldBe(0.01m);
        cost.GetProperty("totalCost").GetDecimal().ShouldBe(0.0145m); // 1,000 × $3 + 100 × $15 per million, plus one search at $10 per 1,000
        var trace = await app.TraceEndedAsync(events[0].Data.GetProperty("traceId").GetString()!);
        trace["totalCost"].ShouldBe(0.0145m);

        // Kept with the reply, as it ended: the search done, each source once.
        var activity = (await StoredReplyAsync(user, events)).GetProperty("activity");
        activity.GetProperty("tools").EnumerateArray().Select(t => t.GetRawText()).ShouldBe([tools[1]]);
        activity.GetProperty("citations").EnumerateArray().Select(c => c.GetProperty("url").GetString()).ShouldBe(Search.Results.Select(r => r.Url));
    }

    [Fact]
    public async Task AFailedSearchAndAFetchAreToldWithTheirOutcome()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario
        {
            Chunks = ["Here is the page."],
            WebSearch = Search with { ErrorCode = "max_uses_exceeded" },
            WebFetch = new FakeWebFetch("https://example.com/paper.pdf", "A paper"),
        });
        var agent = await AgentAsync(new { webSearch = new { enabled = true }, webFetch = new { enabled = true } });

        var (events, _) = await SendAsync(user, agent);

        var tools = events.Where(e => e.Type == "tool").Select(e => e.Data).ToList();
        tools.Select(t => (t.GetProperty("name").GetString(), t.GetProperty("status").GetString())).ShouldBe(
            [("web_search", "running"), ("web_search", "failed"), ("web_fetch", "running"), ("web_fetch", "done")]);
        tools[1].GetProperty("error").GetString().ShouldBe("max_uses_exceeded");
        tools[3].GetProperty("input").GetProperty("url").GetString().ShouldBe("https://example.com/paper.pdf");
        events.ShouldNotContain(e => e.Type == "citation");
    }

    [Theory]
    [InlineData("refusal")]
    [InlineData("model_context_window_exceeded")]
    [InlineData("a_future_reason")]
    public async Task AnyStopReasonReachesTheCostEventTheTraceAndTheStoredReplyWhichIsKept(string stopReason)
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { Chunks = ["I can't help ", "with that."], StopReason = stopReason });

        var (events, _) = await SendAsync(user, await app.CreateAgentAsync());

        events.Single(e => e.Type == "cost").Data.GetProperty("stopReason").GetString().ShouldBe(stopReason);
        events.Single(e => e.Type == "cost").Data.GetProperty("thinkingTokens").ValueKind.ShouldBe(JsonValueKind.Null, "Anthropic reported none");
        events[^1].Type.ShouldBe("done");
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        await app.TraceEndedAsync(traceId);
        (await app.Database.SingleAsync("SELECT \"stopReason\" FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId))["stopReason"].ShouldBe(stopReason);
        var reply = await app.Database.SingleAsync("SELECT status, content, \"stopReason\" FROM messages WHERE \"taskTraceId\" = $1 AND role = 'assistant'", traceId);
        (reply["status"], reply["content"], reply["stopReason"]).ShouldBe(("complete", "I can't help with that.", stopReason));
    }

    [Fact]
    public async Task ThreeTurnsWithThinkingAndSearchesSendBackOnlyTheTextOfEarlierReplies()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario
        {
            Chunks = ["Born 1916."], IncludeThinking = true, IncludeRedactedThinking = true, WebSearch = Search, Usage = new FakeUsage(50, 20, WebSearchRequests: 1),
        });
        var agent = await AgentAsync(new { thinking = new { mode = "budget", budgetTokens = 1024, show = true }, webSearch = new { enabled = true } });
        var (first, _) = await SendAsync(user, agent, "When was Claude Shannon born?");
        var conversationId = first[0].Data.GetProperty("conversationId").GetString()!;
        foreach (var message in (string[])["And where?", "Thanks."])
        {
            using var response = await user.SendAsync(agent, message, conversationId, Ct);
            (await SseReader.ReadAllAsync(response, Ct))[^1].Type.ShouldBe("done");
        }

        var third = app.Fake.RequestsFor(user.ApiKey!)[2].Json.GetProperty("messages");
        third.EnumerateArray().Select(m => m.GetProperty("role").GetString()).ShouldBe(["user", "assistant", "user", "assistant", "user"]);
        foreach (var reply in third.EnumerateArray().Where(m => m.GetProperty("role").GetString() == "assistant"))
        {
            // A thinking block's signature or a search result must not be sent back as if it were text; only the reply's text is.
            reply.GetProperty("content").EnumerateArray().Select(b => b.GetProperty("type").GetString()).ShouldBe(["text"]);
            reply.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("Born 1916.");
        }
    }

    /// <summary>Answers with a search and pauses the turn, as Anthropic does after many server tool calls.</summary>
    private static readonly FakeScenario Paused = new()
    {
        Chunks = ["Let me look that up. "], IncludeThinking = true, WebSearch = Search, StopReason = "pause_turn", Usage = new FakeUsage(1_000, 100, WebSearchRequests: 1),
    };

    [Fact]
    public async Task APausedTurnIsContinuedWithOneCallAsOneTraceWhoseCostIsItsSessionsSum()
    {
        using var user = await app.NewUserAnsweredByAsync(Paused with
        {
            Continuation = new FakeScenario { Chunks = ["He was born ", "on April 30, 1916."], Usage = new FakeUsage(2_000, 50) },
        });
        var agent = await AgentAsync(new { thinking = new { mode = "budget", budgetTokens = 1024, show = true }, webSearch = new { enabled = true } });

        var (events, _) = await SendAsync(user, agent);

        // Exactly one more call, which repeats the request with the paused turn after it, exactly as Anthropic streamed it.
        var requests = app.Fake.RequestsFor(user.ApiKey!);
        requests.Count.ShouldBe(2);
        var (first, second) = (requests[0].Json, requests[1].Json);
        var messages = second.GetProperty("messages");
        messages.GetArrayLength().ShouldBe(first.GetProperty("messages").GetArrayLength() + 1);
        messages[0].GetRawText().ShouldBe(first.GetProperty("messages")[0].GetRawText());
        messages[1].GetProperty("role").GetString().ShouldBe("assistant");
        System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(messages[1].GetProperty("content").GetRawText()), requests[0].StreamedContent)
            .ShouldBeTrue(messages[1].GetProperty("content").GetRawText());
        foreach (var field in (string[])["model", "max_tokens", "system", "thinking", "tools"])
        {
            second.GetProperty(field).GetRawText().ShouldBe(first.GetProperty(field).GetRawText(), field);
        }

        // One reply to the client: both calls' text, and one cost that sums them.
        string.Concat(events.Where(e => e.Type == "chunk").Select(e => e.Text)).ShouldBe("Let me look that up. He was born on April 30, 1916.");
        events.Count(e => e.Type == "cost").ShouldBe(1);
        events[^1].Type.ShouldBe("done");
        var cost = events.Single(e => e.Type == "cost").Data;
        cost.GetProperty("inputTokens").GetInt32().ShouldBe(3_000);
        cost.GetProperty("outputTokens").GetInt32().ShouldBe(150);
        cost.GetProperty("serverToolUse").GetProperty("webSearchRequests").GetInt32().ShouldBe(1);
        cost.GetProperty("toolFees").GetDecimal().ShouldBe(0.01m);
        cost.GetProperty("stopReason").GetString().ShouldBe("end_turn");
        // Each call priced on its own: 1,000 × $3 + 100 × $15 per million + one search at $10 per 1,000; then 2,000 × $3 + 50 × $15 per million.
        cost.GetProperty("totalCost").GetDecimal().ShouldBe(0.0145m + 0.00675m);

        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        (await app.TraceEndedAsync(traceId))["totalCost"].ShouldBe(0.02125m);
        var sessions = await app.Database.QueryAsync(
            "SELECT status, \"stopReason\", continued, cost, \"tokensIn\", \"tokensOut\", \"webSearchRequests\", \"upstreamMessageId\" FROM trace_sessions WHERE \"taskTraceId\" = $1 ORDER BY \"startedAt\"", traceId);
        sessions.Select(s => (s["status"], s["stopReason"], s["continued"], s["cost"], s["tokensIn"], s["tokensOut"], s["webSearchRequests"])).ShouldBe(
        [
            ("success", "pause_turn", true, 0.0145m, 1_000, 100, 1),
            ("success", "end_turn", false, 0.00675m, 2_000, 50, 0),
        ]);
        sessions[0]["upstreamMessageId"].ShouldNotBe(sessions[1]["upstreamMessageId"]);
        var reply = await StoredReplyAsync(user, events);
        reply.GetProperty("content").GetString().ShouldBe("Let me look that up. He was born on April 30, 1916.");
        (reply.GetProperty("cost").GetDecimal(), reply.GetProperty("inputTokens").GetInt32(), reply.GetProperty("webSearchRequests").GetInt32()).ShouldBe((0.02125m, 3_000, 1));

        // The trace explorer and the usage report count one reply, with both calls' tokens and cost.
        var detail = await user.Client.GetFromJsonAsync<JsonElement>($"/api/traces/{traceId}", Ct);
        detail.GetProperty("cost").GetDecimal().ShouldBe(0.02125m);
        detail.GetProperty("tokens").GetProperty("input").GetInt32().ShouldBe(3_000);
        detail.GetProperty("calls").EnumerateArray().Select(c => c.GetProperty("stopReason").GetString()).ShouldBe(["pause_turn", "end_turn"]);
        var list = await user.Client.GetFromJsonAsync<JsonElement>("/api/traces", Ct);
        var row = list.GetProperty("items").EnumerateArray().ShouldHaveSingleItem();
        (row.GetProperty("cost").GetDecimal(), row.GetProperty("inputTokens").GetInt32(), row.GetProperty("outputTokens").GetInt32()).ShouldBe((0.02125m, 3_000, 150));
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd");
        var usage = await user.Client.GetFromJsonAsync<JsonElement>($"/api/usage?from={today}&to={today}", Ct);
        usage.GetProperty("replies").GetProperty("completed").GetInt32().ShouldBe(1);
        usage.GetProperty("cost").GetDecimal().ShouldBe(0.02125m);
    }

    [Fact]
    public async Task ATurnThatKeepsPausingIsContinuedUpToTheLimitAndEndsPaused()
    {
        // Every continuation pauses again.
        using var user = await app.NewUserAnsweredByAsync(Paused with { Continuation = Paused });
        var agent = await AgentAsync(new { webSearch = new { enabled = true } });

        var (events, _) = await SendAsync(user, agent);

        var requests = app.Fake.RequestsFor(user.ApiKey!);
        requests.Count.ShouldBe(4, "the first call and Anthropic__MaxContinuations (3) continuations, no more");
        for (var i = 1; i < requests.Count; i++)
        {
            // Each continuation sends back the whole turn so far: every earlier call's blocks, in order.
            var sent = System.Text.Json.Nodes.JsonNode.Parse(requests[i].Json.GetProperty("messages")[1].GetProperty("content").GetRawText())!.AsArray();
            var streamed = requests.Take(i).SelectMany(r => r.StreamedContent.AsArray()).ToList();
            sent.Count.ShouldBe(streamed.Count);
            sent.Zip(streamed).ShouldAllBe(pair => System.Text.Json.Nodes.JsonNode.DeepEquals(pair.First, pair.Second));
        }

        var cost = events.Single(e => e.Type == "cost").Data;
        cost.GetProperty("stopReason").GetString().ShouldBe("pause_turn");
        cost.GetProperty("totalCost").GetDecimal().ShouldBe(4 * 0.0145m);
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        (await app.TraceEndedAsync(traceId))["status"].ShouldBe("completed");
        (await app.Database.QueryAsync("SELECT continued FROM trace_sessions WHERE \"taskTraceId\" = $1 ORDER BY \"startedAt\"", traceId))
            .Select(s => s["continued"]).ShouldBe([true, true, true, false]);
        // Each call is one row, written once: four sessions, each with its own call's usage.
        (await app.Database.QueryAsync("SELECT \"upstreamMessageId\" FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId))
            .Select(s => s["upstreamMessageId"]).Distinct().Count().ShouldBe(4);
        (await StoredReplyAsync(user, events)).GetProperty("stopReason").GetString().ShouldBe("pause_turn");
    }

    [Fact]
    public async Task AContinuationAnthropicRefusesFailsTheReplyAndKeepsTheCallBefore()
    {
        using var user = await app.NewUserAnsweredByAsync(Paused with
        {
            Continuation = new FakeScenario { FailStatus = 529, FailErrorType = "overloaded_error", FailMessage = "Overloaded" },
        });
        var agent = await AgentAsync(new { webSearch = new { enabled = true } });

        var (events, _) = await SendAsync(user, agent);

        events[^1].Type.ShouldBe("error");
        events[^1].Data.GetProperty("error").GetString()!.ShouldContain("529");
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        var trace = await app.TraceEndedAsync(traceId);
        (trace["status"], trace["totalCost"]).ShouldBe(("failed", 0.0145m));
        (await app.Database.QueryAsync("SELECT status, \"upstreamStatus\", cost FROM trace_sessions WHERE \"taskTraceId\" = $1 ORDER BY \"startedAt\"", traceId))
            .Select(s => (s["status"], s["upstreamStatus"], s["cost"])).ShouldBe([("success", null, 0.0145m), ("failed", 529, 0m)]);
        var reply = await StoredReplyAsync(user, events);
        (reply.GetProperty("status").GetString(), reply.GetProperty("content").GetString(), reply.GetProperty("cost").GetDecimal())
            .ShouldBe(("failed", "Let me look that up. ", 0.0145m));
    }

    [Fact]
    public async Task AStopDuringTheContinuationCancelsTheReplyAndBillsBothCalls()
    {
        using var user = await app.NewUserAnsweredByAsync(Paused with
        {
            Continuation = new FakeScenario { Chunks = ["He ", "was ", "born ", "in 1916."], HoldAfterChunks = 2, Usage = new FakeUsage(2_000, 50) },
        });
        var agent = await AgentAsync(new { webSearch = new { enabled = true } });

        using var response = await user.SendAsync(agent, "When was Claude Shannon born?", ct: Ct);
        var events = new List<ReceivedEvent>();
        await foreach (var e in SseReader.ReadAsync(response, Ct))
        {
            events.Add(e);
            if (e.Type == "chunk" && e.Text == "was ")
            {
                using var stop = await user.StopAsync(events[0].Data.GetProperty("messageId").GetString()!, Ct);
                stop.StatusCode.ShouldBe(HttpStatusCode.OK);
            }
        }

        var requests = app.Fake.RequestsFor(user.ApiKey!);
        requests.Count.ShouldBe(2);
        (await requests[1].Ended.WaitAsync(TimeSpan.FromSeconds(10), Ct)).ShouldNotBe(default);
        requests[1].ClientAborted.ShouldBeTrue("the stop closed the continuing call");
        var cost = events[^1];
        cost.Type.ShouldBe("cost");
        cost.Data.GetProperty("costEstimated").GetBoolean().ShouldBeTrue();
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        var trace = await app.TraceEndedAsync(traceId);
        trace["status"].ShouldBe("cancelled");
        var sessions = await app.Database.QueryAsync(
            "SELECT status, \"stopReason\", cost, \"costEstimated\", \"tokensIn\" FROM trace_sessions WHERE \"taskTraceId\" = $1 ORDER BY \"startedAt\"", traceId);
        sessions.Select(x => (x["status"], x["stopReason"], x["costEstimated"], x["tokensIn"])).ShouldBe(
            [("success", "pause_turn", false, 1_000), ("cancelled", null, true, 2_000)]);
        ((decimal)sessions[0]["cost"]! + (decimal)sessions[1]["cost"]!).ShouldBe(cost.Data.GetProperty("totalCost").GetDecimal());
        trace["totalCost"].ShouldBe(cost.Data.GetProperty("totalCost").GetDecimal());
        (await StoredReplyAsync(user, events)).GetProperty("content").GetString().ShouldBe("Let me look that up. He was ");
    }
}
