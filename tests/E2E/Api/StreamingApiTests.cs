using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;
using CommandCenter.Services.Traces;
using Microsoft.Extensions.DependencyInjection;

namespace CommandCenter.E2E.Api;

public sealed class StreamingApiTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The spec's verification SQL, unchanged.
    private const string LatestTraceSql = """
        SELECT id, instruction, status, "totalCost", "totalTokens", "completedAt"
        FROM task_trace
        ORDER BY "createdAt" DESC
        LIMIT 1;
        """;

    private const string LatestSessionSql = """
        SELECT id, "agentId", "modelUsed", cost, "tokensIn", "tokensOut", "durationMs"
        FROM trace_sessions
        ORDER BY "createdAt" DESC
        LIMIT 1;
        """;

    private async Task<(TestUser User, string AgentId)> UserWithScenarioAsync(FakeScenario scenario, string model = "claude-sonnet-4-6")
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, scenario);
        return (await app.NewUserAsync(apiKey: key), await app.CreateAgentAsync(model));
    }

    [Fact]
    public async Task ChunksStreamInRealTimeThenTheExactCostThenDoneAndTheTraceMatches()
    {
        // The fake holds after its first delta until this test has seen it: the chunk must come through alone, at once.
        var hold = new TaskCompletionSource();
        var scenario = new FakeScenario
        {
            Chunks = ["1", ", ", "2", ", ", "3"], ChunkDelay = TimeSpan.FromMilliseconds(150), HoldAfterChunks = 1, HoldUntil = hold.Task, Usage = new FakeUsage(45, 12),
        };
        var (user, agentId) = await UserWithScenarioAsync(scenario);
        using var _ = user;

        using var response = await user.SendAsync(agentId, "Hello! Count to 5 for me.", ct: Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        response.Headers.CacheControl!.NoCache.ShouldBeTrue();
        response.Headers.GetValues("X-Accel-Buffering").ShouldBe(["no"]);

        var events = new List<ReceivedEvent>();
        await foreach (var e in SseReader.ReadAsync(response, Ct))
        {
            events.Add(e);
            if (e.Type == "chunk" && !hold.Task.IsCompleted)
            {
                // Relayed before Anthropic (the fake) wrote anything more: one by one, never batched.
                app.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem().TextDeltasWrittenAt.Count.ShouldBe(1);
                hold.SetResult();
            }
        }

        events.Select(e => e.Type).ShouldBe(["meta", "chunk", "chunk", "chunk", "chunk", "chunk", "cost", "done"]);
        string.Concat(events.Where(e => e.Type == "chunk").Select(e => e.Text)).ShouldBe("1, 2, 3");

        var cost = events.Single(e => e.Type == "cost").Data;
        cost.GetProperty("inputTokens").GetInt32().ShouldBe(45);
        cost.GetProperty("outputTokens").GetInt32().ShouldBe(12);
        cost.GetProperty("totalCost").GetDecimal().ShouldBe(0.000315m);
        cost.GetProperty("totalCost").GetRawText().ShouldBe("0.000315");
        events.Single(e => e.Type == "done").Data.GetRawText().ShouldBe("{}");

        var meta = events[0].Data;
        var traceId = meta.GetProperty("traceId").GetString();
        var trace = await app.Database.SingleAsync(LatestTraceSql.Replace("ORDER BY", "WHERE id = $1 ORDER BY"), traceId!);
        trace["instruction"].ShouldBe("Hello! Count to 5 for me.");
        trace["status"].ShouldBe("completed");
        trace["totalCost"].ShouldBe(0.000315m);
        trace["totalTokens"].ShouldBe(57);
        trace["completedAt"].ShouldNotBeNull();

        var session = await app.Database.SingleAsync(LatestSessionSql.Replace("ORDER BY", "WHERE \"taskTraceId\" = $1 ORDER BY"), traceId!);
        session["agentId"].ShouldBe(agentId);
        session["modelUsed"].ShouldBe("claude-sonnet-4-6");
        session["cost"].ShouldBe(0.000315m);
        session["tokensIn"].ShouldBe(45);
        session["tokensOut"].ShouldBe(12);
        ((int)session["durationMs"]!).ShouldBeGreaterThan(600);

        var details = await app.Database.SingleAsync(
            "SELECT status, \"sessionType\", \"stopReason\", \"upstreamRequestId\", \"upstreamMessageId\", \"timeToFirstTokenMs\", \"inputPricePerMTok\", \"outputPricePerMTok\" FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId!);
        details["status"].ShouldBe("success");
        details["sessionType"].ShouldBe("command-center");
        details["stopReason"].ShouldBe("end_turn");
        ((string)details["upstreamRequestId"]!).ShouldStartWith("req_");
        ((string)details["upstreamMessageId"]!).ShouldStartWith("msg_");
        ((int)details["timeToFirstTokenMs"]!).ShouldBeGreaterThan(100);
        details["inputPricePerMTok"].ShouldBe(3m);
        details["outputPricePerMTok"].ShouldBe(15m);
    }

    [Fact]
    public async Task TheSpecsVerificationSqlRunsUnchanged()
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Usage = new FakeUsage(45, 12) });
        using var _ = user;
        using (var response = await user.SendAsync(agentId, "verification", ct: Ct))
        {
            await SseReader.ReadAllAsync(response, Ct);
        }

        (await app.Database.QueryAsync(LatestTraceSql)).ShouldHaveSingleItem();
        (await app.Database.QueryAsync(LatestSessionSql)).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task OneUpstreamRequestCarriesTheCallersKeyAndTheAgentsSettings()
    {
        var (user, _) = await UserWithScenarioAsync(new FakeScenario());
        using var __ = user;
        var agentId = await app.CreateAgentAsync("claude-haiku-4-5", systemPrompt: "Answer in French.", maxTokens: 321);
        var previous = Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY");

        using (var response = await user.SendAsync(agentId, "Bonjour", ct: Ct))
        {
            await SseReader.ReadAllAsync(response, Ct);
        }

        var request = app.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem();
        request.Path.ShouldBe("/v1/messages");
        request.Headers["x-api-key"].ShouldBe(user.ApiKey);
        request.Headers["anthropic-version"].ShouldBe("2023-06-01");
        var body = request.Json;
        body.GetProperty("model").GetString().ShouldBe("claude-haiku-4-5");
        body.GetProperty("max_tokens").GetInt32().ShouldBe(321);
        body.GetProperty("stream").GetBoolean().ShouldBeTrue();
        body.GetProperty("system")[0].GetProperty("text").GetString().ShouldBe("Answer in French.");
        var message = body.GetProperty("messages").EnumerateArray().ShouldHaveSingleItem();
        message.GetProperty("role").GetString().ShouldBe("user");
        message.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("Bonjour");
        Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY").ShouldBe(previous);
    }

    [Fact]
    public async Task ThinkingToolInputPingsUnknownEventsAndPaddingNeverLeakIntoTheText()
    {
        var scenario = new FakeScenario { Chunks = ["Visible", " answer"], IncludeThinking = true, IncludeToolUse = true, UnknownEvent = true, PadDataLines = true };
        var (user, agentId) = await UserWithScenarioAsync(scenario);
        using var _ = user;

        using var response = await user.SendAsync(agentId, "Think first", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);

        string.Concat(events.Where(e => e.Type == "chunk").Select(e => e.Text)).ShouldBe("Visible answer");
        events[^1].Type.ShouldBe("done");
    }

    [Fact]
    public async Task CumulativeUsageReplacesEarlierCountsAndCacheTokensArePricedApart()
    {
        // message_start reports the input and cache counts; message_delta repeats them cumulatively with the final output.
        var scenario = new FakeScenario { Usage = new FakeUsage(1_000, 200, CacheCreation5mTokens: 2_000, CacheCreation1hTokens: 500, CacheReadTokens: 5_000), CumulativeUsageInDelta = true };
        var (user, agentId) = await UserWithScenarioAsync(scenario);
        using var _ = user;

        using var response = await user.SendAsync(agentId, "Long context", ct: Ct);
        var cost = (await SseReader.ReadAllAsync(response, Ct)).Single(e => e.Type == "cost").Data;

        // Sonnet 4.6, $3 in / $15 out: 1000×3 + 2000×3×1.25 + 500×3×2 + 5000×3×0.1 + 200×15 = 18,000 → $0.018
        cost.GetProperty("inputTokens").GetInt32().ShouldBe(1_000);
        cost.GetProperty("outputTokens").GetInt32().ShouldBe(200);
        cost.GetProperty("cacheWriteTokens").GetInt32().ShouldBe(2_500);
        cost.GetProperty("cacheReadTokens").GetInt32().ShouldBe(5_000);
        cost.GetProperty("totalCost").GetDecimal().ShouldBe(0.018m);
        cost.GetProperty("cacheSavings").GetDecimal().ShouldBe(0.0135m);

        var traceId = (await app.Database.SingleAsync("SELECT \"taskTraceId\" FROM trace_sessions WHERE \"tokensIn\" = 1000 AND \"cacheReadTokens\" = 5000"))["taskTraceId"];
        var session = await app.Database.SingleAsync("SELECT cost, \"tokensIn\", \"cacheWriteTokens\", \"cacheWrite1hTokens\", \"cacheReadTokens\" FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId!);
        session["cost"].ShouldBe(0.018m);
        session["tokensIn"].ShouldBe(1_000);
        session["cacheWriteTokens"].ShouldBe(2_000);
        session["cacheWrite1hTokens"].ShouldBe(500);
        session["cacheReadTokens"].ShouldBe(5_000);
        (await app.Database.SingleAsync("SELECT \"totalCost\" FROM task_trace WHERE id = $1", traceId!))["totalCost"].ShouldBe(0.018m);
    }

    [Fact]
    public async Task OutputOnlyDeltaUsageKeepsTheInputFromMessageStart()
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Usage = new FakeUsage(45, 12), CumulativeUsageInDelta = false });
        using var _ = user;

        using var response = await user.SendAsync(agentId, "Old API", ct: Ct);
        var cost = (await SseReader.ReadAllAsync(response, Ct)).Single(e => e.Type == "cost").Data;

        cost.GetProperty("inputTokens").GetInt32().ShouldBe(45);
        cost.GetProperty("outputTokens").GetInt32().ShouldBe(12);
        cost.GetProperty("totalCost").GetDecimal().ShouldBe(0.000315m);
    }

    [Fact]
    public async Task AMaxTokensStopIsReportedNotSilent()
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { StopReason = "max_tokens" });
        using var _ = user;

        using var response = await user.SendAsync(agentId, "Write a novel", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);

        var cost = events.Single(e => e.Type == "cost").Data;
        cost.GetProperty("stopReason").GetString().ShouldBe("max_tokens");
        cost.GetProperty("truncated").GetBoolean().ShouldBeTrue();
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        (await app.Database.SingleAsync("SELECT \"stopReason\" FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId))["stopReason"].ShouldBe("max_tokens");
    }

    [Fact]
    public async Task AnErrorEventMidStreamEndsWithAnErrorAndAFailedTrace()
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = ["Part", "ial", " never"], ErrorAfterChunks = 2, Usage = new FakeUsage(30, 3) });
        using var _ = user;

        using var response = await user.SendAsync(agentId, "Fail midway", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);

        events.Select(e => e.Type).ShouldBe(["meta", "chunk", "chunk", "error"]);
        events[^1].Data.GetProperty("error").GetString()!.ShouldContain("overloaded_error");
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        (await app.Database.SingleAsync("SELECT status FROM task_trace WHERE id = $1", traceId))["status"].ShouldBe("failed");
        var session = await app.Database.SingleAsync("SELECT status, error, \"tokensIn\" FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId);
        session["status"].ShouldBe("failed");
        ((string)session["error"]!).ShouldContain("Overloaded");
        session["tokensIn"].ShouldBe(30);
        var reply = await app.Database.SingleAsync("SELECT status, content FROM messages WHERE id = $1", events[0].Data.GetProperty("messageId").GetString()!);
        reply["status"].ShouldBe("failed");
        reply["content"].ShouldBe("Partial");
    }

    [Fact]
    public async Task ADroppedUpstreamConnectionEndsWithAnErrorAndAFailedTrace()
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = ["a", "b", "c"], DropAfterChunks = 2, ChunkDelay = TimeSpan.FromMilliseconds(50) });
        using var _ = user;

        using var response = await user.SendAsync(agentId, "Drop", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);

        // The chunk written just before the drop may be lost with the connection; what matters is how it ends.
        events[0].Type.ShouldBe("meta");
        events[^1].Type.ShouldBe("error");
        events[^1].Data.GetProperty("error").GetString()!.ShouldContain("connection");
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        (await app.Database.SingleAsync("SELECT status FROM task_trace WHERE id = $1", traceId))["status"].ShouldBe("failed");
    }

    [Fact]
    public async Task AClientThatDisconnectsOnlyStopsWatchingTheReplyRunsToItsEndAndIsRecordedWhole()
    {
        var release = new TaskCompletionSource();
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = ["Kept", " text", " and the rest"], HoldAfterChunks = 2, HoldUntil = release.Task, Usage = new FakeUsage(77, 5) });
        using var _ = user;
        var seen = await user.SendAndLeaveAsync(agentId, "Then hang", chunks: 2, Ct);
        var traceId = seen[0].Data.GetProperty("traceId").GetString();

        // The server notices the client is gone (its watcher detaches), and the reply goes on without it.
        await app.Logs.WaitForAsync(line => line.Contains("Request finished") && line.Contains("/api/command-center/message"), TimeSpan.FromSeconds(10));
        release.SetResult();

        var trace = await app.TraceEndedAsync(traceId!);
        trace["status"].ShouldBe("completed");
        trace["totalCost"].ShouldBe(0.000306m); // 77 × $3 + 5 × $15 per million
        var upstream = app.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem();
        upstream.ClientAborted.ShouldBeFalse();
        var reply = await app.Database.SingleAsync("SELECT status, content FROM messages WHERE \"taskTraceId\" = $1 AND role = 'assistant'", traceId!);
        reply["status"].ShouldBe("complete");
        reply["content"].ShouldBe("Kept text and the rest");
    }

    [Fact]
    public async Task ANulCharacterFromTheModelIsStoredAsAReplacementCharacterAndTheReplyIsRecorded()
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = ["odd\u0000", "bytes"], Usage = new FakeUsage(10, 2) });
        using var _ = user;
        using var response = await user.SendAsync(agentId, "Say something odd", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);

        events[^1].Type.ShouldBe("done");
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        (await app.Database.SingleAsync("SELECT status FROM task_trace WHERE id = $1", traceId))["status"].ShouldBe("completed");
        (await app.Database.SingleAsync("SELECT content FROM messages WHERE \"taskTraceId\" = $1 AND role = 'assistant'", traceId))["content"].ShouldBe("odd\uFFFDbytes");
    }

    [Fact]
    public async Task DatabaseRoundTripsAndStatementsPerMessageAreFixedWhateverTheReplysLength()
    {
        var (shortUser, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = ["one", "two"] });
        var (longUser, _) = await UserWithScenarioAsync(new FakeScenario { Chunks = [.. Enumerable.Range(0, 200).Select(i => $"w{i} ")] });
        using var _ = shortUser;
        using var __ = longUser;

        // The message's own commands: those naming its user or its trace (not background work, nor the cached reads of
        // the agent and price, which another message may have left warm or a 5-second expiry cold).
        async Task<IReadOnlyList<string>> CommandsForAsync(TestUser user)
        {
            using var response = await user.SendAsync(agentId, "count", ct: Ct);
            var events = await SseReader.ReadAllAsync(response, Ct);
            events[^1].Type.ShouldBe("done");
            return app.DbCommands.CommandsNaming(events[0].Data.GetProperty("traceId").GetString()!);
        }

        var few = await CommandsForAsync(shortUser);
        var many = await CommandsForAsync(longUser);

        // Per message: the start write and the end write, each one batch, whatever the reply's length.
        many.Count.ShouldBe(few.Count);
        few.Count.ShouldBe(2, string.Join("\n---\n", few));

        // And in them, the statements PostgreSQL runs: the start inserts the conversation, the question, the reply, the
        // trace and its session; the end updates the last three. A change that adds statements to a reply fails here.
        Statements(many).ShouldBe(Statements(few));
        Statements(few).ShouldBe(8, string.Join("\n---\n", few));
    }

    /// <summary>The SQL statements in <paramref name="commands"/>: a batch holds several, one per line that begins one.</summary>
    private static int Statements(IEnumerable<string> commands) => commands
        .SelectMany(c => c.Split('\n'))
        .Select(line => line.TrimStart())
        .Count(line => StatementStarts.Any(start => line.StartsWith(start, StringComparison.Ordinal)));

    private static readonly string[] StatementStarts = ["INSERT ", "UPDATE ", "DELETE ", "SELECT "];

    [Fact]
    public async Task NoKeyEverAppearsInALogLine()
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { ErrorAfterChunks = 1 });
        using var _ = user;
        using (var failing = await user.SendAsync(agentId, "log me", ct: Ct))
        {
            await SseReader.ReadAllAsync(failing, Ct);
        }

        var (refused, refusedAgent) = await UserWithScenarioAsync(new FakeScenario { FailStatus = 401, FailErrorType = "authentication_error", FailMessage = "invalid x-api-key" });
        using var ___ = refused;
        using (var rejected = await refused.SendAsync(refusedAgent, "log me too", ct: Ct))
        {
            rejected.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        }

        app.Logs.Lines.Count.ShouldBeGreaterThan(50);
        app.Logs.Lines.ShouldAllBe(line => !line.Contains(user.ApiKey!) && !line.Contains(refused.ApiKey!));
    }

    [Fact]
    public async Task StaleRunningTracesOfADeadInstanceAreMarkedFailedAtStartButALiveInstancesAreNot()
    {
        var lease = app.Services.GetRequiredService<InstanceLease>();
        var agentId = await app.CreateAgentAsync();
        using var user = await app.NewUserAsync();
        var dead = await InsertRunningTraceAsync(user.Id, agentId, instanceKey: 424242);
        var live = await InsertRunningTraceAsync(user.Id, agentId, instanceKey: lease.Key);

        await using (var other = app.StartAnotherInstance())
        {
            (await other.Logs.WaitForAsync(line => line.Contains("Checked for traces left running"), TimeSpan.FromSeconds(30))).ShouldContain("1 marked failed");
        }

        (await app.Database.SingleAsync("SELECT status FROM task_trace WHERE id = $1", dead))["status"].ShouldBe("failed");
        var session = await app.Database.SingleAsync("SELECT status, error FROM trace_sessions WHERE \"taskTraceId\" = $1", dead);
        session["status"].ShouldBe("failed");
        session["error"].ShouldBe(StaleTraceReaper.DeadInstanceError);
        (await app.Database.SingleAsync("SELECT status FROM task_trace WHERE id = $1", live))["status"].ShouldBe("running");
        await app.Database.QueryAsync("UPDATE task_trace SET status = 'failed' WHERE id = $1", live);
    }

    private async Task<string> InsertRunningTraceAsync(string ownerId, string agentId, long instanceKey)
    {
        var id = Guid.NewGuid().ToString("N");
        await app.Database.QueryAsync(
            """
            INSERT INTO task_trace (id, "ownerId", "masterAgentId", instruction, status, "totalCost", "totalTokens", "instanceKey", "startedAt", "createdAt")
            VALUES ($1, $2, $3, 'left behind', 'running', 0, 0, $4, now(), now())
            """, id, ownerId, agentId, instanceKey);
        await app.Database.QueryAsync(
            """
            INSERT INTO trace_sessions (id, "taskTraceId", "agentId", instruction, status, "modelUsed", "sessionType", cost, "tokensIn", "tokensOut",
                "cacheWriteTokens", "cacheWrite1hTokens", "cacheReadTokens", "modelPriceId", "inputPricePerMTok", "outputPricePerMTok",
                "historyMessagesSent", "historyMessagesTrimmed", "startedAt", "createdAt")
            VALUES ($1 || 's', $1, $2, 'left behind', 'running', 'claude-sonnet-4-6', 'command-center', 0, 0, 0, 0, 0, 0, 2, 3, 15, 0, 0, now(), now())
            """, id, agentId);
        return id;
    }
}
