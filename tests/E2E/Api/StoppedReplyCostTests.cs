using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>
/// A reply that ends before Anthropic's final usage (stopped, or its stream broken) is still billed for what it
/// generated: its output is counted (count_tokens, free) or, failing that, estimated, never left at message_start's
/// placeholder of 1; the cost says it is estimated, in the stream and in the rows.
/// </summary>
public sealed class StoppedReplyCostTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The fake counts a token a word: three words stream before the hold.
    private static readonly string[] Words = ["one ", "two ", "three ", "four ", "five ", "six"];

    private async Task<(TestUser User, string AgentId)> UserWithScenarioAsync(FakeScenario scenario) =>
        (await app.NewUserAnsweredByAsync(scenario), await app.CreateAgentAsync(systemPrompt: "You count."));

    private static async Task<List<ReceivedEvent>> SendAndStopAfterAsync(TestUser user, string agentId, int chunks)
    {
        using var response = await user.SendAsync(agentId, "Count to six", ct: Ct);
        var events = new List<ReceivedEvent>();
        await foreach (var e in SseReader.ReadAsync(response, Ct))
        {
            events.Add(e);
            if (e.Type == "chunk" && events.Count(x => x.Type == "chunk") == chunks)
            {
                using var stop = await user.StopAsync(events[0].Data.GetProperty("messageId").GetString()!, Ct);
                stop.StatusCode.ShouldBe(HttpStatusCode.OK);
            }
        }

        return events;
    }

    [Fact]
    public async Task AStoppedReplyIsBilledForTheTokensAnthropicCountsInItsText()
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = Words, HoldAfterChunks = 3 });
        using var _ = user;

        var events = await SendAndStopAfterAsync(user, agentId, chunks: 3);

        var cost = events[^1];
        cost.Type.ShouldBe("cost");
        cost.Data.GetProperty("outputTokens").GetInt32().ShouldBe(3, "one two three: three tokens by the fake's count, not message_start's 1");
        cost.Data.GetProperty("costEstimated").GetBoolean().ShouldBeTrue();
        // Input as message_start reported it: the system prompt and the message, a token a word.
        var input = cost.Data.GetProperty("inputTokens").GetInt32();
        input.ShouldBe(5);
        cost.Data.GetProperty("totalCost").GetDecimal().ShouldBe((input * 3m + 3 * 15m) / 1_000_000m);

        // Asked with the user's key: the prompt as sent, the partial reply as the last (assistant) turn, nothing else.
        var count = app.Fake.TokenCountRequests.Single(r => r.ApiKey == user.ApiKey);
        count.Headers["anthropic-version"].ShouldBe("2023-06-01");
        var messages = count.Json.GetProperty("messages");
        messages[messages.GetArrayLength() - 1].GetProperty("role").GetString().ShouldBe("assistant");
        FakeTokens.TextOf(messages[messages.GetArrayLength() - 1]).ShouldBe("one two three");
        count.Json.TryGetProperty("max_tokens", out var _).ShouldBeFalse();

        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        var session = await app.Database.SingleAsync("SELECT \"tokensOut\", cost, \"costEstimated\" FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId);
        session["tokensOut"].ShouldBe(3);
        session["cost"].ShouldBe(cost.Data.GetProperty("totalCost").GetDecimal());
        session["costEstimated"].ShouldBe(true);
        var trace = await app.Database.SingleAsync("SELECT \"totalCost\", \"totalTokens\" FROM task_trace WHERE id = $1", traceId);
        trace["totalCost"].ShouldBe(session["cost"]);
        trace["totalTokens"].ShouldBe(input + 3);
        var reply = await app.Database.SingleAsync("SELECT \"outputTokens\", cost, \"costEstimated\" FROM messages WHERE \"taskTraceId\" = $1 AND role = 'assistant'", traceId);
        reply["outputTokens"].ShouldBe(3);
        reply["costEstimated"].ShouldBe(true);

        // The conversation API shows the same numbers after the fact.
        var conversationId = events[0].Data.GetProperty("conversationId").GetString()!;
        var detail = await user.Client.GetFromJsonAsync<JsonElement>($"/api/conversations/{conversationId}", Ct);
        var saved = detail.GetProperty("messages").EnumerateArray().Single(m => m.GetProperty("role").GetString() == "assistant");
        saved.GetProperty("outputTokens").GetInt32().ShouldBe(3);
        saved.GetProperty("costEstimated").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task WhenAnthropicCannotCountTheOutputIsEstimatedFromTheTextsLength()
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = Words, HoldAfterChunks = 3, CountTokensFailStatus = 529 });
        using var _ = user;

        var events = await SendAndStopAfterAsync(user, agentId, chunks: 3);

        var cost = events[^1];
        // "one two three" is 13 characters; at the 3 characters a token the history budget also assumes: 5.
        cost.Data.GetProperty("outputTokens").GetInt32().ShouldBe(5);
        cost.Data.GetProperty("costEstimated").GetBoolean().ShouldBeTrue();
        app.Fake.TokenCountRequests.ShouldContain(r => r.ApiKey == user.ApiKey);
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        await app.Logs.WaitForAsync(l => l.Contains($"Trace {traceId}: Anthropic could not count"), TimeSpan.FromSeconds(10));
        app.Logs.Lines.ShouldNotContain(l => l.Contains(user.ApiKey!), "the key never reaches a log");
        (await app.Database.SingleAsync("SELECT \"tokensOut\", \"costEstimated\" FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId))
            .ShouldBe(new Dictionary<string, object?> { ["tokensOut"] = 5, ["costEstimated"] = true });
    }

    [Fact]
    public async Task AReplyWhoseStreamBreaksIsBilledForTheTokensItGenerated()
    {
        // Paced, so that the reply has begun before the connection drops; whether the last chunk made it is up to TCP.
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario
        {
            Chunks = ["one two three ", "four five six ", "seven"], ChunkDelay = TimeSpan.FromMilliseconds(100), DropAfterChunks = 2,
        });
        using var _ = user;
        using var response = await user.SendAsync(agentId, "Count to seven", ct: Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var events = await SseReader.ReadAllAsync(response, Ct);

        events[^1].Type.ShouldBe("error");
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        var session = await app.Database.SingleAsync("SELECT status, \"tokensOut\", \"costEstimated\" FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId);
        var reply = await app.Database.SingleAsync("SELECT content FROM messages WHERE \"taskTraceId\" = $1 AND role = 'assistant'", traceId);
        session["status"].ShouldBe("failed");
        session["costEstimated"].ShouldBe(true);
        session["tokensOut"].ShouldBe(FakeTokens.Words((string)reply["content"]!), "every word that arrived, a token each by the fake's count");
        ((int)session["tokensOut"]!).ShouldBeGreaterThanOrEqualTo(3);
    }

    [Fact]
    public async Task ACompletedReplyIsBilledAsAnthropicReportedWithoutACount()
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = Words, Usage = new FakeUsage(40, 9) });
        using var _ = user;
        using var response = await user.SendAsync(agentId, "Count to six", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);

        var cost = events.Single(e => e.Type == "cost");
        cost.Data.GetProperty("outputTokens").GetInt32().ShouldBe(9);
        cost.Data.GetProperty("costEstimated").GetBoolean().ShouldBeFalse();
        app.Fake.TokenCountRequests.ShouldNotContain(r => r.ApiKey == user.ApiKey);
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        (await app.Database.SingleAsync("SELECT \"costEstimated\" FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId))["costEstimated"].ShouldBe(false);
    }
}
