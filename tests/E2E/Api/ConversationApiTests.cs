using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

public sealed class ConversationApiTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<ReceivedEvent>> TurnAsync(TestUser user, string agentId, string message, string? conversationId)
    {
        using var response = await user.SendAsync(agentId, message, conversationId, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return await SseReader.ReadAllAsync(response, Ct);
    }

    [Fact]
    public async Task TheThirdTurnSendsTheFirstTwoInOrderAndEveryMessageIsStoredWithItsCost()
    {
        var key = CommandCenterApp.NewApiKey();
        var agentId = await app.CreateAgentAsync(systemPrompt: "Remember everything.");
        using var user = await app.NewUserAsync(apiKey: key);

        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Nice to meet you, Ada."], Usage = new FakeUsage(20, 6) });
        var first = await TurnAsync(user, agentId, "My name is Ada.", null);
        var conversationId = first[0].Data.GetProperty("conversationId").GetString()!;

        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Blue is a fine colour."], Usage = new FakeUsage(40, 6) });
        var second = await TurnAsync(user, agentId, "My favourite colour is blue.", conversationId);
        second[0].Data.GetProperty("conversationId").GetString().ShouldBe(conversationId);

        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["You are Ada and you like blue."], Usage = new FakeUsage(60, 9) });
        await TurnAsync(user, agentId, "What do you know about me?", conversationId);

        var third = app.Fake.RequestsFor(key)[2].Json;
        var sent = third.GetProperty("messages").EnumerateArray()
            .Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content")[0].GetProperty("text").GetString()))
            .ToList();
        sent.ShouldBe(
        [
            ("user", "My name is Ada."),
            ("assistant", "Nice to meet you, Ada."),
            ("user", "My favourite colour is blue."),
            ("assistant", "Blue is a fine colour."),
            ("user", "What do you know about me?"),
        ]);
        third.GetProperty("system")[0].GetProperty("cache_control").GetProperty("type").GetString().ShouldBe("ephemeral");
        third.GetProperty("messages")[4].GetProperty("content")[0].GetProperty("cache_control").GetProperty("type").GetString().ShouldBe("ephemeral");

        var rows = await app.Database.QueryAsync(
            "SELECT position, role, content, status, cost FROM messages WHERE \"conversationId\" = $1 ORDER BY position", conversationId);
        rows.Select(r => ((int)r["position"]!, (string)r["role"]!, (string)r["status"]!)).ShouldBe(
        [
            (0, "user", "complete"), (1, "assistant", "complete"),
            (2, "user", "complete"), (3, "assistant", "complete"),
            (4, "user", "complete"), (5, "assistant", "complete"),
        ]);
        rows.Where(r => (string)r["role"]! == "assistant").Select(r => (decimal)r["cost"]!).ShouldBe([0.00015m, 0.00021m, 0.000315m]);

        var detail = await user.Client.GetFromJsonAsync<JsonElement>($"/api/conversations/{conversationId}", Ct);
        detail.GetProperty("conversation").GetProperty("title").GetString().ShouldBe("My name is Ada.");
        detail.GetProperty("conversation").GetProperty("totalCost").GetDecimal().ShouldBe(0.000675m);
        detail.GetProperty("messages").GetArrayLength().ShouldBe(6);
    }

    [Fact]
    public async Task StoppedAndFailedTurnsAreStoredAsSuchAndLeftOutOfLaterRequests()
    {
        var key = CommandCenterApp.NewApiKey();
        var agentId = await app.CreateAgentAsync();
        using var user = await app.NewUserAsync(apiKey: key);

        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Fine."] });
        var conversationId = (await TurnAsync(user, agentId, "Turn one", null))[0].Data.GetProperty("conversationId").GetString()!;

        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Broken ", "half"], ErrorAfterChunks = 1 });
        (await TurnAsync(user, agentId, "Turn two fails", conversationId))[^1].Type.ShouldBe("error");

        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Stopped ", "early", "never"], HoldAfterChunks = 2 });
        using (var response = await user.SendAsync(agentId, "Turn three is stopped", conversationId, Ct))
        {
            var chunks = 0;
            string? messageId = null;
            await foreach (var e in SseReader.ReadAsync(response, Ct))
            {
                messageId ??= e.Data.GetProperty("messageId").GetString();
                if (e.Type == "chunk" && ++chunks == 2)
                {
                    (await user.StopAsync(messageId!, Ct)).EnsureSuccessStatusCode();
                }
            }
        }

        // The stop answered once the reply was recorded: nothing to wait for.

        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Four."] });
        await TurnAsync(user, agentId, "Turn four", conversationId);

        var rows = await app.Database.QueryAsync("SELECT role, status, content FROM messages WHERE \"conversationId\" = $1 ORDER BY position", conversationId);
        rows.Select(r => ((string)r["role"]!, (string)r["status"]!, (string)r["content"]!)).ShouldBe(
        [
            ("user", "complete", "Turn one"), ("assistant", "complete", "Fine."),
            ("user", "complete", "Turn two fails"), ("assistant", "failed", "Broken "),
            ("user", "complete", "Turn three is stopped"), ("assistant", "stopped", "Stopped early"),
            ("user", "complete", "Turn four"), ("assistant", "complete", "Four."),
        ]);

        var last = app.Fake.RequestsFor(key)[^1].Json.GetProperty("messages").EnumerateArray()
            .Select(m => m.GetProperty("content")[0].GetProperty("text").GetString()).ToList();
        last.ShouldBe(["Turn one", "Fine.", "Turn four"]);
    }

    [Fact]
    public async Task AStartWriteThatFailsPartwayLeavesNoRowsBehind()
    {
        var key = CommandCenterApp.NewApiKey();
        var agentId = await app.CreateAgentAsync();
        using var user = await app.NewUserAsync(apiKey: key);
        var conversationId = (await TurnAsync(user, agentId, "First", null))[0].Data.GetProperty("conversationId").GetString()!;
        var traces = await app.Database.QueryAsync("SELECT id FROM task_trace WHERE \"ownerId\" = $1", user.Id);
        var answer = new TaskCompletionSource();
        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Late."], FirstByteGate = answer.Task });

        var sending = TurnAsync(user, agentId, "Second", conversationId);
        await app.Fake.WaitForRequestAsync(r => r.ApiKey == key && r.Body.Contains("Second"), TimeSpan.FromSeconds(10));
        // Meanwhile another instance writes the next message of this conversation, at the position this one read as free.
        await app.Database.QueryAsync(
            "INSERT INTO messages (id, \"conversationId\", position, role, content, status, \"inputTokens\", \"outputTokens\", \"cacheWriteTokens\", \"cacheReadTokens\", \"createdAt\") " +
            "VALUES ($1, $2, 2, 'user', 'from elsewhere', 'complete', 0, 0, 0, 0, now())", Guid.NewGuid().ToString("N"), conversationId);
        answer.SetResult();
        var events = await sending;

        events[^1].Type.ShouldBe("error");
        events[^1].Data.GetProperty("error").GetString()!.ShouldContain("already answering");
        (await app.Database.QueryAsync("SELECT id FROM task_trace WHERE \"ownerId\" = $1", user.Id)).Count.ShouldBe(traces.Count, "the trace and session of the failed insert were rolled back with it");
        (await app.Database.QueryAsync("SELECT 1 FROM messages WHERE \"conversationId\" = $1", conversationId)).Count.ShouldBe(3);
    }

    [Fact]
    public async Task ListingRenamingArchivingAndDeletingAreTheOwnersAlone()
    {
        var agentId = await app.CreateAgentAsync();
        using var owner = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        using var stranger = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var older = (await TurnAsync(owner, agentId, "Quarterly budget review", null))[0].Data.GetProperty("conversationId").GetString()!;
        var newer = (await TurnAsync(owner, agentId, "Holiday plans", null))[0].Data.GetProperty("conversationId").GetString()!;

        var page = await owner.Client.GetFromJsonAsync<JsonElement>("/api/conversations?page=1&pageSize=10", Ct);
        page.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ShouldBe([newer, older]);
        page.GetProperty("total").GetInt32().ShouldBe(2);
        (await owner.Client.GetFromJsonAsync<JsonElement>("/api/conversations?pageSize=1&page=2", Ct)).GetProperty("items")[0].GetProperty("id").GetString().ShouldBe(older);
        (await owner.Client.GetFromJsonAsync<JsonElement>("/api/conversations?search=budget", Ct)).GetProperty("items").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ShouldBe([older]);
        (await stranger.Client.GetFromJsonAsync<JsonElement>("/api/conversations", Ct)).GetProperty("total").GetInt32().ShouldBe(0);

        (await stranger.Client.GetAsync($"/api/conversations/{older}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await stranger.Client.PatchAsJsonAsync($"/api/conversations/{older}", new { title = "mine now" }, Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await stranger.Client.DeleteAsync($"/api/conversations/{older}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var renamed = await owner.Client.PatchAsJsonAsync($"/api/conversations/{older}", new { title = "Budget Q3" }, Ct);
        renamed.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await renamed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("conversation").GetProperty("title").GetString().ShouldBe("Budget Q3");
        (await owner.Client.PatchAsJsonAsync($"/api/conversations/{older}", new { title = "  " }, Ct)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        (await owner.Client.PatchAsJsonAsync($"/api/conversations/{newer}", new { archived = true }, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.Client.GetFromJsonAsync<JsonElement>("/api/conversations", Ct)).GetProperty("items").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ShouldBe([older]);
        // Renaming and archiving are not new activity: the list keeps its order (newest message first).
        (await owner.Client.GetFromJsonAsync<JsonElement>("/api/conversations?archived=true", Ct)).GetProperty("items").EnumerateArray()
            .Select(c => c.GetProperty("id").GetString()).ShouldBe([newer, older]);
        (await owner.Client.PatchAsJsonAsync($"/api/conversations/{older}", new { archived = true }, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.Client.GetFromJsonAsync<JsonElement>("/api/conversations?archived=true", Ct)).GetProperty("items").EnumerateArray()
            .Select(c => c.GetProperty("id").GetString()).ShouldBe([newer, older]);

        (await owner.Client.DeleteAsync($"/api/conversations/{older}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await owner.Client.GetAsync($"/api/conversations/{older}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await app.Database.QueryAsync("SELECT 1 FROM task_trace WHERE \"conversationId\" = $1", older)).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task DeletingAConversationMidReplyStillRecordsTheTraceAndItsCost()
    {
        var key = CommandCenterApp.NewApiKey();
        var agentId = await app.CreateAgentAsync();
        using var user = await app.NewUserAsync(apiKey: key);
        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["one ", "two ", "three"], ChunkDelay = TimeSpan.FromMilliseconds(200), Usage = new FakeUsage(45, 12) });

        using var response = await user.SendAsync(agentId, "About to vanish", ct: Ct);
        var events = new List<ReceivedEvent>();
        await foreach (var e in SseReader.ReadAsync(response, Ct))
        {
            events.Add(e);
            if (e.Type == "chunk" && events.Count(x => x.Type == "chunk") == 1)
            {
                var id = events[0].Data.GetProperty("conversationId").GetString();
                (await user.Client.DeleteAsync($"/api/conversations/{id}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
            }
        }

        events[^1].Type.ShouldBe("done");
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        var trace = await app.Database.SingleAsync("SELECT status, \"totalCost\" FROM task_trace WHERE id = $1", traceId);
        trace["status"].ShouldBe("completed");
        trace["totalCost"].ShouldBe(0.000315m);
        (await app.Database.SingleAsync("SELECT status FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId))["status"].ShouldBe("success");
        (await app.Database.QueryAsync("SELECT 1 FROM messages WHERE \"taskTraceId\" = $1", traceId)).ShouldBeEmpty();
    }

    [Fact]
    public async Task AConversationKeepsItsAgent()
    {
        var agentId = await app.CreateAgentAsync();
        var otherAgent = await app.CreateAgentAsync();
        using var user = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        var conversationId = (await TurnAsync(user, agentId, "Hello", null))[0].Data.GetProperty("conversationId").GetString()!;

        using var response = await user.SendAsync(otherAgent, "Switch?", conversationId, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("agentId", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task HistoryBeyondTheContextWindowIsTrimmedOldestFirstAndSaidSo()
    {
        using var admin = await app.AdminAsync();
        var model = $"claude-tiny-{Guid.NewGuid():N}";
        (await admin.PostAsJsonAsync("/api/prices", new { model, inputPerMTok = 1m, cacheWrite5mPerMTok = 1m, cacheWrite1hPerMTok = 1m, cacheReadPerMTok = 1m, outputPerMTok = 1m, contextWindow = 1_400 }, Ct)).EnsureSuccessStatusCode();
        var agentId = await app.CreateAgentAsync(model, systemPrompt: "", maxTokens: 100);
        var key = CommandCenterApp.NewApiKey();
        using var user = await app.NewUserAsync(apiKey: key);
        app.Fake.SetScenario(key, new FakeScenario { Chunks = [new string('r', 200)] });

        // Budget: (1400 - 100 - 1000) tokens × 3 chars = 900 characters; each turn here is 400.
        var conversationId = (await TurnAsync(user, agentId, new string('a', 200), null))[0].Data.GetProperty("conversationId").GetString()!;
        await TurnAsync(user, agentId, new string('b', 200), conversationId);
        var third = await TurnAsync(user, agentId, new string('c', 200), conversationId);

        third[0].Data.GetProperty("historyMessagesTrimmed").GetInt32().ShouldBe(2);
        var sent = app.Fake.RequestsFor(key)[^1].Json.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content")[0].GetProperty("text").GetString()![0]).ToList();
        sent.ShouldBe(['b', 'r', 'c']);
        var traceId = third[0].Data.GetProperty("traceId").GetString()!;
        var session = await app.Database.SingleAsync("SELECT \"historyMessagesSent\", \"historyMessagesTrimmed\" FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId);
        session["historyMessagesSent"].ShouldBe(2);
        session["historyMessagesTrimmed"].ShouldBe(2);

        using var tooLong = await user.SendAsync(agentId, new string('z', 1_000), conversationId, Ct);
        tooLong.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }
}
