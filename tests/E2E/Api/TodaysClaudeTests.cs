using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>The app seeding its first agent, as run.sh asks (Seed__DefaultAgent).</summary>
public sealed class DefaultAgentApp : CommandCenterApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Seed:DefaultAgent", "true")];
}

public sealed class DefaultAgentTests(DefaultAgentApp app) : IClassFixture<DefaultAgentApp>
{
    [Fact]
    public async Task AFirstStartOffersAnAssistantOnTheCurrentSonnetThinkingAsItDoes()
    {
        using var admin = await app.AdminAsync();

        var agents = await admin.GetFromJsonAsync<JsonElement>("/api/agents", TestContext.Current.CancellationToken);

        var assistant = agents.EnumerateArray().ShouldHaveSingleItem();
        (assistant.GetProperty("name").GetString(), assistant.GetProperty("model").GetString(), assistant.GetProperty("modelStatus").GetString(), assistant.GetProperty("status").GetString())
            .ShouldBe(("Assistant", "claude-sonnet-5-5", "active", "ACTIVE"));
        assistant.GetProperty("thinking").GetProperty("mode").GetString().ShouldBe("adaptive");
    }
}

/// <summary>Agents follow what their model accepts; a model's lifecycle is told before it bites (issue "Today's Claude").</summary>
public sealed class TodaysClaudeTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object AgentBody(string model, object? thinking = null, int maxTokens = 2_048, string? name = null) => new
    {
        name = name ?? $"Agent {Guid.NewGuid():N}", description = "", model, systemPrompt = "Be brief.", maxTokens, status = "ACTIVE", thinking,
    };

    private static async Task<JsonElement> ErrorsOf(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
    }

    [Theory]
    [InlineData("claude-opus-5-5", "off", null, "thinking.mode", "Claude Opus 5.5 always thinks: thinking cannot be off.")]
    [InlineData("claude-sonnet-5-5", "off", null, "thinking.mode", "Claude Sonnet 5.5 always thinks: thinking cannot be off. Choose between_tools for no thinking with short progress notes between tool calls.")]
    [InlineData("claude-fable-5-2", "off", null, "thinking.mode", "Claude Fable 5.2 always thinks: thinking cannot be off.")]
    [InlineData("claude-sonnet-5-5", "budget", null, "thinking.mode", "Claude Sonnet 5.5 does not take a thinking budget: use adaptive thinking, with an effort level.")]
    [InlineData("claude-opus-4-8", "budget", null, "thinking.mode", "Claude Opus 4.8 does not take a thinking budget: use adaptive thinking, with an effort level.")]
    [InlineData("claude-sonnet-5-5", "between_tools", "max", "thinking.effort", "Claude Sonnet 5.5 takes between_tools only at effort high or lower.")]
    [InlineData("claude-haiku-5-5", "off", "xhigh", "thinking.effort", "Claude Haiku 5.5 turns thinking off only at effort high or lower.")]
    [InlineData("claude-haiku-5-5", "between_tools", null, "thinking.mode", "Claude Haiku 5.5 does not take between_tools thinking.")]
    [InlineData("claude-opus-4-6", "adaptive", "xhigh", "thinking.effort", "Claude Opus 4.6 takes effort low, medium, high, max; not xhigh.")]
    [InlineData("claude-haiku-4-5", "adaptive", null, "thinking.mode", "Claude Haiku 4.5 has no adaptive thinking: use a token budget, or turn thinking off.")]
    public async Task ASettingTheModelRefusesIsA400NamingTheFieldAndWhyAndNothingIsSaved(string model, string mode, string? effort, string field, string message)
    {
        using var admin = await app.AdminAsync();
        var name = $"Refused {Guid.NewGuid():N}";

        var errors = await ErrorsOf(await admin.PostAsJsonAsync("/api/agents", AgentBody(model, new { mode, effort, budgetTokens = 1_024 }, name: name), Ct));

        errors.EnumerateObject().ShouldHaveSingleItem().Name.ShouldBe(field);
        errors.GetProperty(field)[0].GetString().ShouldBe(message);
        (await app.Database.QueryAsync("SELECT 1 FROM agents WHERE name = $1", name)).ShouldBeEmpty();
    }

    [Fact]
    public async Task SwitchingAnAgentsModelReChecksItsSettings()
    {
        using var admin = await app.AdminAsync();
        var created = await admin.PostAsJsonAsync("/api/agents", AgentBody("claude-opus-4-6", new { mode = "off" }), Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var agent = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var id = agent.GetProperty("id").GetString();

        var errors = await ErrorsOf(await admin.PutAsJsonAsync($"/api/agents/{id}", AgentBody("claude-opus-5-5", new { mode = "off" }, name: agent.GetProperty("name").GetString()), Ct));

        errors.GetProperty("thinking.mode")[0].GetString()!.ShouldStartWith("Claude Opus 5.5 always thinks");
        (await app.Database.SingleAsync("SELECT model FROM agents WHERE id = $1", id!))["model"].ShouldBe("claude-opus-4-6");
    }

    [Fact]
    public async Task MaxTokensAreBoundByWhatTheModelWrites()
    {
        using var admin = await app.AdminAsync();

        var errors = await ErrorsOf(await admin.PostAsJsonAsync("/api/agents", AgentBody("claude-haiku-4-5", maxTokens: 100_000), Ct));

        errors.GetProperty("maxTokens")[0].GetString().ShouldBe("Claude Haiku 4.5 writes at most 64,000 tokens per reply.");
    }

    [Fact]
    public async Task AnAgentThatSaysNothingOfThinkingOnAModelThatAlwaysThinksIsSavedAdaptive()
    {
        using var admin = await app.AdminAsync();

        var created = await admin.PostAsJsonAsync("/api/agents", AgentBody("claude-opus-5-5"), Ct);

        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("thinking").GetProperty("mode").GetString().ShouldBe("adaptive");
    }

    /// <summary>A model deprecated now, retiring in a month: the catalogue's entry and a price, as an install would have them.</summary>
    private async Task<string> DeprecatedModelAsync(string replacement = "claude-sonnet-4-6")
    {
        var model = $"claude-test-old-{Guid.NewGuid():N}"[..32];
        await app.Database.QueryAsync(
            """
            INSERT INTO models (id, "displayName", aliases, status, "deprecatedAt", "retiresAt", replacement, "contextWindow", "maxOutputTokens", capabilities)
            VALUES ($1, 'Claude Test Old', '{}', 'deprecated', now() - interval '1 day', now() + interval '30 days', $2, 200000, 64000,
                '{"thinkingTypes":["enabled","disabled"],"efforts":["low","medium","high"],"defaultEffort":"high","displayDefault":"summarized","forcedToolChoice":true,"samplingParameters":true}')
            """, model, replacement);
        using var admin = await app.AdminAsync();
        (await admin.PostAsJsonAsync("/api/prices", new { model, inputPerMTok = 3m, cacheWrite5mPerMTok = 3.75m, cacheWrite1hPerMTok = 6m, cacheReadPerMTok = 0.3m, outputPerMTok = 15m }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        return model;
    }

    [Fact]
    public async Task AnAgentOnADeprecatedModelSaysWhenItRetiresAndWhatReplacesItAndMovesInOneAction()
    {
        var model = await DeprecatedModelAsync();
        using var admin = await app.AdminAsync();
        var created = await admin.PostAsJsonAsync("/api/agents", AgentBody(model, new { mode = "budget", effort = "high", budgetTokens = 1_024, show = true }), Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString();

        var listed = (await admin.GetFromJsonAsync<JsonElement>("/api/agents", Ct)).EnumerateArray().Single(a => a.GetProperty("id").GetString() == id);
        (listed.GetProperty("modelStatus").GetString(), listed.GetProperty("replacement").GetString()).ShouldBe(("deprecated", "claude-sonnet-4-6"));
        listed.GetProperty("retiresAt").GetDateTimeOffset().ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddDays(29));

        using var moved = await admin.PostAsync($"/api/agents/{id}/move", null, Ct);

        moved.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await moved.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var agent = body.GetProperty("agent");
        (agent.GetProperty("model").GetString(), agent.GetProperty("modelStatus").GetString()).ShouldBe(("claude-sonnet-4-6", "legacy"));
        // Sonnet 4.6 takes a budget and effort high: nothing had to change.
        (agent.GetProperty("thinking").GetProperty("mode").GetString(), agent.GetProperty("thinking").GetProperty("budgetTokens").GetInt32()).ShouldBe(("budget", 1_024));
        body.GetProperty("changes").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task MovingToAModelThatRefusesASettingCarriesItToTheNearestAndSaysWhat()
    {
        using var admin = await app.AdminAsync();
        var created = await admin.PostAsJsonAsync("/api/agents", AgentBody("claude-opus-4-6", new { mode = "off", effort = "max" }), Ct);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString();

        using var moved = await admin.PostAsJsonAsync($"/api/agents/{id}/move", new { model = "claude-sonnet-5-5" }, Ct);

        var body = await moved.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var thinking = body.GetProperty("agent").GetProperty("thinking");
        (thinking.GetProperty("mode").GetString(), thinking.GetProperty("effort").GetString()).ShouldBe(("between_tools", "high"));
        body.GetProperty("changes").EnumerateArray().Select(c => c.GetString()).ShouldBe(
        [
            "Thinking off became between_tools: Claude Sonnet 5.5 does not take off.",
            "Effort max became high: the most Claude Sonnet 5.5 takes with thinking between_tools.",
        ]);
    }

    [Fact]
    public async Task AMessageToAnAgentOnARetiredModelIsA409NamingItsReplacementBeforeAnyCallOrTrace()
    {
        // An agent saved before its model retired (claude-sonnet-4-5, on 2026-11-30): now no save would allow it.
        var agentId = Guid.NewGuid().ToString("N");
        await app.Database.QueryAsync(
            """
            INSERT INTO agents (id, name, description, model, "systemPrompt", "maxTokens", status, "createdAt", "updatedAt")
            VALUES ($1, $2, '', 'claude-sonnet-4-5', '', 512, 'ACTIVE', now(), now())
            """, agentId, $"Old {agentId}");
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario());

        using var response = await user.SendAsync(agentId, "Hello", ct: Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        problem.GetProperty("error").GetString()!.ShouldStartWith("Model claude-sonnet-4-5 (Claude Sonnet 4.5) was retired on 2026-11-30: Anthropic no longer answers for it.");
        (problem.GetProperty("model").GetString(), problem.GetProperty("replacement").GetString()).ShouldBe(("claude-sonnet-4-5", "claude-sonnet-5-5"));
        app.Fake.RequestsFor(user.ApiKey!).ShouldBeEmpty();
        (await app.Database.QueryAsync("SELECT 1 FROM task_trace WHERE \"ownerId\" = $1", user.Id)).ShouldBeEmpty();
        (await app.Database.QueryAsync("SELECT 1 FROM conversations WHERE \"ownerId\" = $1", user.Id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task WhenAnthropicAnswers404ForAModelTheErrorAndTheTraceSayTheModelIsNotAvailable()
    {
        // Our catalogue behind Anthropic's: a model it no longer serves, that we still think callable.
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { FailStatus = 404, FailErrorType = "not_found_error", FailMessage = "Not found" });
        var agent = await app.CreateAgentAsync(model: "claude-opus-4-6");

        using var response = await user.SendAsync(agent, "Hello", ct: Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        problem.GetProperty("error").GetString()!.ShouldStartWith("Model claude-opus-4-6 is not available: Anthropic answered 404 (not_found_error)");
        var trace = await app.Database.SingleAsync(
            "SELECT t.status, s.error FROM task_trace t JOIN trace_sessions s ON s.\"taskTraceId\" = t.id WHERE t.id = $1", problem.GetProperty("taskTraceId").GetString()!);
        trace["status"].ShouldBe("failed");
        ((string)trace["error"]!).ShouldContain("is not available");
    }

    [Fact]
    public async Task TheRequestSaysItsThinkingDisplayAndSendsNothingTheModelRefuses()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { IncludeThinking = true });
        using var admin = await app.AdminAsync();
        var created = await admin.PostAsJsonAsync("/api/agents", AgentBody("claude-opus-5-5", new { mode = "adaptive", effort = "xhigh" }), Ct);
        var agent = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;

        using var response = await user.SendAsync(agent, "Hello", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);

        events.Last().Type.ShouldBe("done");
        events.ShouldNotContain(e => e.Type == "thinking", "the agent does not show its thinking");
        var sent = app.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem().Json;
        sent.GetProperty("thinking").GetProperty("display").GetString().ShouldBe("omitted");
        sent.GetProperty("output_config").GetProperty("effort").GetString().ShouldBe("xhigh");
        foreach (var refused in (string[])["temperature", "top_p", "top_k", "tool_choice"])
        {
            sent.TryGetProperty(refused, out _).ShouldBeFalse(refused);
        }
    }

    [Fact]
    public async Task HistoryAcrossAModelChangeSendsOnlyTheTextOfEarlierReplies()
    {
        // A conversation with thinking on Opus 4.6, then its agent moved to Opus 5.5: no thinking block goes to the new model.
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { IncludeThinking = true, Chunks = ["Four."] });
        using var admin = await app.AdminAsync();
        var created = await admin.PostAsJsonAsync("/api/agents", AgentBody("claude-opus-4-6", new { mode = "adaptive", show = true }), Ct);
        var agent = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        string conversation;
        using (var first = await user.SendAsync(agent, "What is 2 + 2?", ct: Ct))
        {
            var events = await SseReader.ReadAllAsync(first, Ct);
            events.ShouldContain(e => e.Type == "thinking");
            conversation = events[0].Data.GetProperty("conversationId").GetString()!;
        }

        (await admin.PostAsJsonAsync($"/api/agents/{agent}/move", new { model = "claude-opus-5-5" }, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        using (var second = await user.SendAsync(agent, "And 3 + 3?", conversation, Ct))
        {
            (await SseReader.ReadAllAsync(second, Ct)).Last().Type.ShouldBe("done");
        }

        var sent = app.Fake.RequestsFor(user.ApiKey!)[^1].Json;
        sent.GetProperty("model").GetString().ShouldBe("claude-opus-5-5");
        var earlier = sent.GetProperty("messages")[1];
        earlier.GetProperty("role").GetString().ShouldBe("assistant");
        earlier.GetRawText().ShouldNotContain("thinking");
        earlier.GetRawText().ShouldContain("Four.");
    }

    [Fact]
    public async Task TheCatalogueListsTodaysModelsWithTheirLifecycleAndPrice()
    {
        using var admin = await app.AdminAsync();

        var models = (await admin.GetFromJsonAsync<JsonElement>("/api/models", Ct)).EnumerateArray().ToList();

        var ids = models.Select(m => m.GetProperty("id").GetString()).ToList();
        ids.Take(4).ShouldBe(["claude-fable-5-2", "claude-mythos-5-2", "claude-haiku-5-5", "claude-sonnet-5-5"], "active first, the newest first");
        var sonnet45 = models.Single(m => m.GetProperty("id").GetString() == "claude-sonnet-4-5");
        (sonnet45.GetProperty("status").GetString(), sonnet45.GetProperty("replacement").GetString()).ShouldBe(("retired", "claude-sonnet-5-5"));
        var opus55 = models.Single(m => m.GetProperty("id").GetString() == "claude-opus-5-5");
        opus55.GetProperty("capabilities").GetProperty("thinkingTypes").EnumerateArray().Select(t => t.GetString()).ShouldBe(["adaptive"]);
        opus55.GetProperty("price").GetProperty("cacheReadPerMTok").GetDecimal().ShouldBe(0.2m);
    }

    [Fact]
    public async Task AnAdminRefreshesTheCatalogueFromAnthropicsModelsApiPageByPageWithTheirOwnKey()
    {
        var adminKey = CommandCenterApp.NewApiKey();
        using var admin = await app.AdminAsync();
        (await admin.PutAsJsonAsync("/api/me/anthropic-key", new { apiKey = adminKey }, Ct)).EnsureSuccessStatusCode();
        // The catalogue drifted (a limit wrong, a model missing); Anthropic's list has it right.
        await app.Database.QueryAsync("UPDATE models SET \"contextWindow\" = 1 WHERE id = 'claude-haiku-5-5'; DELETE FROM models WHERE id = 'claude-mythos-5';");
        app.Fake.ModelsPerPage = 7;
        try
        {
            using var refreshed = await admin.PostAsync("/api/models/refresh", null, Ct);

            refreshed.StatusCode.ShouldBe(HttpStatusCode.OK);
            var body = await refreshed.Content.ReadFromJsonAsync<JsonElement>(Ct);
            body.GetProperty("listed").GetInt32().ShouldBe(20);
            body.GetProperty("added").EnumerateArray().Select(a => a.GetString()).ShouldBe(["claude-mythos-5"]);
        }
        finally
        {
            app.Fake.ModelsPerPage = 1000;
        }

        var requests = app.Fake.ModelListRequests.Where(r => r.ApiKey == adminKey).ToList();
        requests.Count.ShouldBe(3, "20 models at 7 a page");
        var haiku = await app.Database.SingleAsync("SELECT \"contextWindow\", \"refreshedAt\" FROM models WHERE id = 'claude-haiku-5-5'");
        (haiku["contextWindow"], haiku["refreshedAt"] is not null).ShouldBe(((object?)1_000_000, true));
        // A dated id the API lists becomes an alias of the model we name without its date.
        ((string[])(await app.Database.SingleAsync("SELECT aliases FROM models WHERE id = 'claude-haiku-4-5'"))["aliases"]!).ShouldContain("claude-haiku-4-5-20251001");
        (await app.Database.SingleAsync("SELECT status FROM models WHERE id = 'claude-sonnet-4-5'"))["status"].ShouldBe("retired");
    }

    [Fact]
    public async Task RefreshingWithoutAnAnthropicKeyIsA400ThatSaysSo()
    {
        using var admin = await app.AdminAsync();
        await admin.DeleteAsync("/api/me/anthropic-key", Ct);

        var errors = await ErrorsOf(await admin.PostAsync("/api/models/refresh", null, Ct));

        errors.GetProperty("apiKey")[0].GetString()!.ShouldContain("with your own Anthropic key");
    }
}
