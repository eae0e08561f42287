using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>
/// What <c>scripts/run.sh --fake</c> shows a newcomer: the standalone fake's replies (<see cref="FakeDemo.ScenarioFor"/>, set here
/// as the fake's scenario for every request) think, search with two results and cite them, and fetch, when the agent asks for
/// it, and are the plain echo otherwise, streamed word by word.
/// </summary>
public sealed class FakeDemoTests : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly CommandCenterApp _app;

    public FakeDemoTests(CommandCenterApp app)
    {
        _app = app;
        app.Fake.DefaultScenarioFor = FakeDemo.ScenarioFor;
    }

    private async Task<string> AgentAsync(object settings)
    {
        using var admin = await _app.AdminAsync();
        var body = JsonSerializer.SerializeToNode(new { name = $"Agent {Guid.NewGuid():N}", model = "claude-sonnet-4-6", systemPrompt = "Be helpful.", maxTokens = 4096 })!.AsObject();
        foreach (var (key, value) in JsonSerializer.SerializeToNode(settings)!.AsObject())
        {
            body[key] = value?.DeepClone();
        }

        using var response = await admin.PostAsJsonAsync("/api/agents", body, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
    }

    private static async Task<List<ReceivedEvent>> SendAsync(TestUser user, string agentId, string message)
    {
        using var response = await user.SendAsync(agentId, message, ct: Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var events = await SseReader.ReadAllAsync(response, Ct);
        events[^1].Type.ShouldBe("done", string.Join(", ", events.Select(e => e.Type)));
        return events;
    }

    [Fact]
    public async Task AnAgentThatShowsItsThinkingAndSearchesAndFetchesGetsThinkingASearchWithTwoCitedResultsAndAFetch()
    {
        using var user = await _app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var agent = await AgentAsync(new
        {
            thinking = new { mode = "adaptive", show = true }, webSearch = new { enabled = true }, webFetch = new { enabled = true },
        });

        var events = await SendAsync(user, agent, "What is on https://example.net/page?");

        string.Concat(events.Where(e => e.Type == "thinking").Select(e => e.Text)).ShouldNotBeNullOrWhiteSpace();
        var tools = events.Where(e => e.Type == "tool").Select(e => e.Data).ToList();
        tools.Select(t => (t.GetProperty("name").GetString(), t.GetProperty("status").GetString())).ShouldBe(
            [("web_search", "running"), ("web_search", "done"), ("web_fetch", "running"), ("web_fetch", "done")]);
        tools[1].GetProperty("results").GetInt32().ShouldBe(2);
        tools[0].GetProperty("input").GetProperty("query").GetString().ShouldBe("What is on https://example.net/page?");
        tools[2].GetProperty("input").GetProperty("url").GetString().ShouldBe("https://example.net/page");
        events.Where(e => e.Type == "citation").Select(e => e.Data.GetProperty("url").GetString()).ShouldBe(FakeDemo.SearchResults.Select(r => r.Url));

        // In the order a reply that thinks, then searches, then answers with its sources shows them.
        var first = (string type) => events.FindIndex(e => e.Type == type);
        first("thinking").ShouldBeLessThan(first("tool"));
        first("tool").ShouldBeLessThan(first("citation"));
        first("citation").ShouldBeLessThan(first("chunk"));
        var text = string.Concat(events.Where(e => e.Type == "chunk").Select(e => e.Text));
        text.ShouldStartWith("You said: What is on https://example.net/page?");
        text.ShouldContain("searched the web");

        var cost = events.Single(e => e.Type == "cost").Data;
        cost.GetProperty("serverToolUse").GetProperty("webSearchRequests").GetInt32().ShouldBe(1);
        cost.GetProperty("thinkingTokens").GetInt32().ShouldBe(FakeDemo.ThinkingTokens);
        cost.GetProperty("toolFees").GetDecimal().ShouldBe(0.01m, "one search at $10 per 1,000");
    }

    [Fact]
    public async Task APlainAgentGetsTheEchoAloneStreamedWordByWord()
    {
        using var user = await _app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());

        var events = await SendAsync(user, await _app.CreateAgentAsync(), "Hello there");

        events.Select(e => e.Type).Distinct().ShouldBe(["meta", "chunk", "cost", "done"]);
        var chunks = events.Where(e => e.Type == "chunk").ToList();
        string.Concat(chunks.Select(e => e.Text)).ShouldStartWith("You said: Hello there\n\nThis reply comes from the fake Anthropic server");
        chunks.Count.ShouldBeGreaterThan(20, "one word a chunk");
        (chunks[^1].At - chunks[0].At).ShouldBeGreaterThan(TimeSpan.FromMilliseconds(20 * (chunks.Count - 1)), "paced so a human sees it stream");
        _app.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem().Json.GetProperty("thinking").GetProperty("type").GetString().ShouldBe("disabled");
    }

    /// <summary>The content blocks the fake answers a request with, by what the request asks for.</summary>
    [Theory]
    [InlineData("""{"type":"adaptive","display":"summarized"}""", null, "thinking,text")]
    [InlineData("""{"type":"enabled","budget_tokens":1024,"display":"summarized"}""", null, "thinking,text")]
    [InlineData("""{"type":"disabled"}""", null, "text")]
    [InlineData("""{"type":"between_tools"}""", null, "text")]
    [InlineData(null, null, "text")]
    [InlineData(null, """[{"type":"web_search_20260318","name":"web_search"}]""", "server_tool_use,web_search_tool_result,text")]
    [InlineData(null, """[{"type":"web_fetch_20260318","name":"web_fetch"}]""", "server_tool_use,web_fetch_tool_result,text")]
    [InlineData(null, """[{"name":"get_weather","input_schema":{"type":"object"}}]""", "text")]
    [InlineData("""{"type":"adaptive","display":"summarized"}""", """[{"type":"web_search_20250305","name":"web_search"},{"type":"web_fetch_20250910","name":"web_fetch"}]""",
        "thinking,server_tool_use,web_search_tool_result,server_tool_use,web_fetch_tool_result,text")]
    public async Task TheFakeAnswersWithWhatTheRequestAsksFor(string? thinking, string? tools, string blocks)
    {
        var body = new JsonObject
        {
            // A model the fake's table does not know takes every thinking type and tool.
            ["model"] = "claude-test-demo", ["max_tokens"] = 2048,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hi" }),
        };
        if (thinking is not null) body["thinking"] = JsonNode.Parse(thinking);
        if (tools is not null) body["tools"] = JsonNode.Parse(tools);
        using var http = new HttpClient { BaseAddress = _app.Fake.BaseUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = JsonContent.Create(body) };
        request.Headers.Add("x-api-key", CommandCenterApp.NewApiKey());
        request.Headers.Add("anthropic-version", "2023-06-01");

        using var response = await http.SendAsync(request, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        var message = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        string.Join(',', message.GetProperty("content").EnumerateArray().Select(b => b.GetProperty("type").GetString())).ShouldBe(blocks);
        var text = message.GetProperty("content").EnumerateArray().Last();
        text.TryGetProperty("citations", out var citations).ShouldBe(blocks.Contains("web_search"));
        if (blocks.Contains("web_search"))
        {
            citations.GetArrayLength().ShouldBe(2);
            message.GetProperty("usage").GetProperty("server_tool_use").GetProperty("web_search_requests").GetInt32().ShouldBe(1);
        }
    }

    [Fact]
    public async Task TheFakeSaysWhatItIsWhenAsked()
    {
        using var http = new HttpClient { BaseAddress = _app.Fake.BaseUrl };

        (await http.GetStringAsync("fake-anthropic", Ct)).ShouldBe("Command Center's fake Anthropic upstream");

        _app.Fake.Requests.ShouldNotContain(r => r.Path == "/fake-anthropic", "the question is not a request to record");
    }
}
