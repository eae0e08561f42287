using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>The last turn made again: its reply regenerated (or retried after a failure), its question edited; earlier turns never change.</summary>
public sealed class LastTurnAgainTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary><paramref name="questions"/>, each answered, in a new conversation or <paramref name="conversationId"/>; returns its id.</summary>
    private static async Task<string> ConversationAsync(TestUser user, string agentId, string? conversationId, params string[] questions)
    {
        foreach (var question in questions)
        {
            using var response = await user.SendAsync(agentId, question, conversationId, Ct);
            var events = await SseReader.ReadAllAsync(response, Ct);
            conversationId ??= events[0].Data.GetProperty("conversationId").GetString();
        }

        return conversationId!;
    }

    private static async Task<List<JsonElement>> MessagesAsync(TestUser user, string conversationId) =>
        [.. (await user.Client.GetFromJsonAsync<JsonElement>($"/api/conversations/{conversationId}", Ct)).GetProperty("messages").EnumerateArray()];

    private static async Task<List<ReceivedEvent>> PostAsync(TestUser user, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await user.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        return await SseReader.ReadAllAsync(response, Ct);
    }

    private static string Sent(RecordedRequest request) => request.Json.GetProperty("messages").GetRawText();

    private static (string Role, string Content, bool Superseded) Shown(JsonElement m) =>
        (m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!, m.GetProperty("superseded").GetBoolean());

    [Fact]
    public async Task ARegeneratedReplyAnswersTheSameQuestionWithTheSameHistoryAndTheOldOneStaysAChoosableSibling()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { Chunks = ["First answer."] });
        var agentId = await app.CreateAgentAsync();
        var conversationId = await ConversationAsync(user, agentId, null, "One", "Two");
        var firstAnswer = (await MessagesAsync(user, conversationId))[3];
        app.Fake.SetScenario(user.ApiKey!, new FakeScenario { Chunks = ["Second answer."] });

        var events = await PostAsync(user, $"/api/command-center/messages/{firstAnswer.GetProperty("id").GetString()}/regenerate");

        events[^1].Type.ShouldBe("done");
        string.Concat(events.Where(e => e.Type == "chunk").Select(e => e.Text)).ShouldBe("Second answer.");
        var requests = app.Fake.RequestsFor(user.ApiKey!);
        requests.Count.ShouldBe(3, "one call, for the new reply only");
        Sent(requests[2]).ShouldBe(Sent(requests[1]), "the same question with the same history");
        var messages = await MessagesAsync(user, conversationId);
        messages.Select(Shown).ShouldBe(
        [
            ("user", "One", false), ("assistant", "First answer.", false),
            ("user", "Two", false), ("assistant", "First answer.", true), ("assistant", "Second answer.", false),
        ]);
        messages[4].GetProperty("replyToId").GetString().ShouldBe(messages[2].GetProperty("id").GetString());
        messages[3].GetProperty("cost").GetDecimal().ShouldBeGreaterThan(0m, "a replaced reply keeps what it cost");

        // Choosing the first reply again makes it the one the conversation goes on from.
        using (var choose = await user.Client.PostAsync($"/api/command-center/messages/{firstAnswer.GetProperty("id").GetString()}/choose", null, Ct))
        {
            choose.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        (await MessagesAsync(user, conversationId)).Select(m => m.GetProperty("superseded").GetBoolean()).ShouldBe([false, false, false, false, true]);
        await ConversationAsync(user, agentId, conversationId, "Three");
        var third = app.Fake.RequestsFor(user.ApiKey!)[3].Json.GetProperty("messages");
        third.EnumerateArray().Select(m => FakeTokens.TextOf(m)).ShouldBe(["One", "First answer.", "Two", "First answer.", "Three"]);

        // Only the last turn can be made again.
        using var old = await user.Client.PostAsync($"/api/command-center/messages/{messages[1].GetProperty("id").GetString()}/regenerate", null, Ct);
        old.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await old.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").GetProperty("messageId")[0].GetString()!.ShouldContain("last message");
        using var oldChoice = await user.Client.PostAsync($"/api/command-center/messages/{messages[1].GetProperty("id").GetString()}/choose", null, Ct);
        oldChoice.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        app.Fake.RequestsFor(user.ApiKey!).Count.ShouldBe(4);
    }

    [Fact]
    public async Task RetryingAFailedReplyReplacesItInPlaceWithTheSameHistory()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { Chunks = ["Half ", "an answer"], ErrorAfterChunks = 1 });
        var agentId = await app.CreateAgentAsync();
        var conversationId = await ConversationAsync(user, agentId, null, "Question");
        var failed = (await MessagesAsync(user, conversationId))[1];
        failed.GetProperty("status").GetString().ShouldBe("failed");
        app.Fake.SetScenario(user.ApiKey!, new FakeScenario { Chunks = ["A whole answer."] });

        var events = await PostAsync(user, $"/api/command-center/messages/{failed.GetProperty("id").GetString()}/regenerate");

        events[^1].Type.ShouldBe("done");
        var requests = app.Fake.RequestsFor(user.ApiKey!);
        Sent(requests[1]).ShouldBe(Sent(requests[0]));
        (await MessagesAsync(user, conversationId)).Select(Shown).ShouldBe(
            [("user", "Question", false), ("assistant", "Half ", true), ("assistant", "A whole answer.", false)]);
    }

    [Fact]
    public async Task AnEditedLastQuestionIsSentWithTheHistoryBeforeItAndReplacesTheTurn()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { Chunks = ["Answer."] });
        var agentId = await app.CreateAgentAsync();
        var conversationId = await ConversationAsync(user, agentId, null, "One", "Twoo");
        var question = (await MessagesAsync(user, conversationId))[2];

        var events = await PostAsync(user, $"/api/command-center/messages/{question.GetProperty("id").GetString()}/edit", new { message = "Two" });

        events[^1].Type.ShouldBe("done");
        var requests = app.Fake.RequestsFor(user.ApiKey!);
        requests[2].Json.GetProperty("messages").EnumerateArray().Select(m => FakeTokens.TextOf(m)).ShouldBe(["One", "Answer.", "Two"]);
        (await MessagesAsync(user, conversationId)).Select(Shown).ShouldBe(
        [
            ("user", "One", false), ("assistant", "Answer.", false),
            ("user", "Twoo", true), ("assistant", "Answer.", true), ("user", "Two", false), ("assistant", "Answer.", false),
        ]);

        await ConversationAsync(user, agentId, conversationId, "Three");
        app.Fake.RequestsFor(user.ApiKey!)[3].Json.GetProperty("messages").EnumerateArray().Select(m => FakeTokens.TextOf(m))
            .ShouldBe(["One", "Answer.", "Two", "Answer.", "Three"]);
    }

    [Fact]
    public async Task BadEditsAndOtherUsersMessagesAreRefusedAndChangeNothing()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { Chunks = ["Answer."] });
        using var other = await app.NewUserAnsweredByAsync(new FakeScenario());
        var agentId = await app.CreateAgentAsync();
        var conversationId = await ConversationAsync(user, agentId, null, "One", "Two");
        var before = await MessagesAsync(user, conversationId);
        var (first, last) = (before[0].GetProperty("id").GetString(), before[2].GetProperty("id").GetString());

        async Task<(HttpStatusCode, JsonElement)> EditAsync(TestUser who, string? id, object body)
        {
            using var response = await who.Client.PostAsJsonAsync($"/api/command-center/messages/{id}/edit", body, Ct);
            return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>(Ct));
        }

        var (status, problem) = await EditAsync(user, first, new { message = "Uno" });
        status.ShouldBe(HttpStatusCode.BadRequest);
        problem.GetProperty("errors").GetProperty("messageId")[0].GetString().ShouldBe("Only the conversation's last message can be edited.");
        (status, problem) = await EditAsync(user, last, new { message = "" });
        status.ShouldBe(HttpStatusCode.BadRequest);
        problem.GetProperty("errors").GetProperty("message")[0].GetString().ShouldBe("The message field is required.");
        (status, _) = await EditAsync(other, last, new { message = "Mine now" });
        status.ShouldBe(HttpStatusCode.NotFound);
        using (var choose = await other.Client.PostAsync($"/api/command-center/messages/{before[3].GetProperty("id").GetString()}/choose", null, Ct))
        {
            choose.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }

        (await MessagesAsync(user, conversationId)).Select(Shown).ShouldBe(before.Select(Shown));
        app.Fake.RequestsFor(user.ApiKey!).Count.ShouldBe(2);
        app.Fake.RequestsFor(other.ApiKey!).ShouldBeEmpty();
    }

    private static string Id(JsonElement message) => message.GetProperty("id").GetString()!;

    [Fact]
    public async Task EditGivenAReplysIdAndRegenerateGivenAQuestionsIdAreRefusedWith400AndChangeNothing()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { Chunks = ["Answer."] });
        var agentId = await app.CreateAgentAsync();
        var conversationId = await ConversationAsync(user, agentId, null, "One");
        var before = await MessagesAsync(user, conversationId);
        var (question, reply) = (Id(before[0]), Id(before[1]));

        async Task<JsonElement> RefusedAsync(string path, object? body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
            using var response = await user.Client.SendAsync(request, Ct);
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
            return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        }

        // Before, an edit given a reply's id regenerated that reply and dropped the edited text.
        var problem = await RefusedAsync($"/api/command-center/messages/{reply}/edit", new { message = "Uno" });
        problem.GetProperty("error").GetString()!.ShouldStartWith("Edit takes a question's id");
        problem.GetProperty("errors").GetProperty("messageId")[0].GetString()!.ShouldStartWith("Edit takes a question's id");
        (await RefusedAsync($"/api/command-center/messages/{reply}/edit", null)).GetProperty("error").GetString()!.ShouldStartWith("Edit takes a question's id");
        (await RefusedAsync($"/api/command-center/messages/{question}/regenerate", null)).GetProperty("errors").GetProperty("messageId")[0].GetString()!
            .ShouldStartWith("Regenerate takes a reply's id");

        (await MessagesAsync(user, conversationId)).Select(m => m.GetRawText()).ShouldBe(before.Select(m => m.GetRawText()), "nothing written");
        app.Fake.RequestsFor(user.ApiKey!).Count.ShouldBe(1, "no upstream call");
        (await user.Client.GetFromJsonAsync<JsonElement>("/api/traces", Ct)).GetProperty("items").EnumerateArray().ShouldHaveSingleItem("no trace started");
    }


    private static async Task<HttpStatusCode> ChooseAsync(TestUser user, string messageId)
    {
        using var response = await user.Client.PostAsync($"/api/command-center/messages/{messageId}/choose", null, Ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task AnEditedQuestionsFirstVersionIsChosenBackWithTheReplyItHadAndTheConversationGoesOnFromIt()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { Chunks = ["Reply to one."] });
        var agentId = await app.CreateAgentAsync();
        var conversationId = await ConversationAsync(user, agentId, null, "One");
        app.Fake.SetScenario(user.ApiKey!, new FakeScenario { Chunks = ["Reply A."] });
        await ConversationAsync(user, agentId, conversationId, "Twoo");
        var (twoo, replyA) = ((await MessagesAsync(user, conversationId))[2], (await MessagesAsync(user, conversationId))[3]);
        // Two replies to the first version, the older one chosen: that is the one it comes back with.
        app.Fake.SetScenario(user.ApiKey!, new FakeScenario { Chunks = ["Reply B."] });
        await PostAsync(user, $"/api/command-center/messages/{Id(replyA)}/regenerate");
        (await ChooseAsync(user, Id(replyA))).ShouldBe(HttpStatusCode.NoContent);
        app.Fake.SetScenario(user.ApiKey!, new FakeScenario { Chunks = ["Reply C."] });
        (await PostAsync(user, $"/api/command-center/messages/{Id(twoo)}/edit", new { message = "Two" }))[^1].Type.ShouldBe("done");

        var edited = await MessagesAsync(user, conversationId);
        edited.Select(Shown).ShouldBe(
        [
            ("user", "One", false), ("assistant", "Reply to one.", false),
            ("user", "Twoo", true), ("assistant", "Reply A.", true), ("assistant", "Reply B.", true),
            ("user", "Two", false), ("assistant", "Reply C.", false),
        ]);
        edited[5].GetProperty("versionOfId").GetString().ShouldBe(Id(twoo), "the edit names the question's first version");
        edited[2].GetProperty("versionOfId").ValueKind.ShouldBe(JsonValueKind.Null);

        // Back to the first version: it and its chosen reply are current again, the edit and its reply set aside.
        (await ChooseAsync(user, Id(twoo))).ShouldBe(HttpStatusCode.NoContent);
        (await MessagesAsync(user, conversationId)).Select(m => m.GetProperty("superseded").GetBoolean()).ShouldBe([false, false, false, false, true, true, true]);
        // And forth, and back: each version keeps the reply it had.
        (await ChooseAsync(user, Id(edited[5]))).ShouldBe(HttpStatusCode.NoContent);
        (await MessagesAsync(user, conversationId)).Select(m => m.GetProperty("superseded").GetBoolean()).ShouldBe([false, false, true, true, true, false, false]);
        (await ChooseAsync(user, Id(twoo))).ShouldBe(HttpStatusCode.NoContent);
        (await ChooseAsync(user, Id(twoo))).ShouldBe(HttpStatusCode.NoContent, "choosing the version shown changes nothing");
        (await MessagesAsync(user, conversationId)).Select(m => m.GetProperty("superseded").GetBoolean()).ShouldBe([false, false, false, false, true, true, true]);

        // What goes upstream next is the chosen version with its reply.
        app.Fake.SetScenario(user.ApiKey!, new FakeScenario { Chunks = ["Reply three."] });
        await ConversationAsync(user, agentId, conversationId, "Three");
        var requests = app.Fake.RequestsFor(user.ApiKey!);
        requests[^1].Json.GetProperty("messages").EnumerateArray().Select(m => FakeTokens.TextOf(m)).ShouldBe(["One", "Reply to one.", "Twoo", "Reply A.", "Three"]);
        requests[3].Json.GetProperty("messages").EnumerateArray().Select(m => FakeTokens.TextOf(m)).ShouldBe(["One", "Reply to one.", "Two"], "the edit was sent with the history before it");

        // Once the conversation has gone on, an earlier turn's versions are not to be chosen.
        (await ChooseAsync(user, Id(edited[5]))).ShouldBe(HttpStatusCode.BadRequest);
        (await MessagesAsync(user, conversationId)).Select(Shown).ShouldBe(
        [
            ("user", "One", false), ("assistant", "Reply to one.", false),
            ("user", "Twoo", false), ("assistant", "Reply A.", false), ("assistant", "Reply B.", true),
            ("user", "Two", true), ("assistant", "Reply C.", true),
            ("user", "Three", false), ("assistant", "Reply three.", false),
        ]);

        // The chosen version is edited again: a third version of the same question.
        var three = (await MessagesAsync(user, conversationId))[7];
        (await PostAsync(user, $"/api/command-center/messages/{Id(three)}/edit", new { message = "3" }))[^1].Type.ShouldBe("done");
        (await MessagesAsync(user, conversationId))[^2].GetProperty("versionOfId").GetString().ShouldBe(Id(three));
    }

    [Fact]
    public async Task AQuestionVersionCannotBeChosenWhileAReplyIsBeingWrittenNorByAnotherUser()
    {
        using var user = await app.NewUserAnsweredByAsync(new FakeScenario { Chunks = ["Answer."] });
        using var other = await app.NewUserAnsweredByAsync(new FakeScenario());
        var agentId = await app.CreateAgentAsync();
        var conversationId = await ConversationAsync(user, agentId, null, "Twoo");
        var twoo = (await MessagesAsync(user, conversationId))[0];
        var release = new TaskCompletionSource();
        app.Fake.SetScenario(user.ApiKey!, new FakeScenario { Chunks = ["Being ", "written."], HoldAfterChunks = 1, HoldUntil = release.Task });

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/command-center/messages/{Id(twoo)}/edit") { Content = JsonContent.Create(new { message = "Two" }) };
        using var editing = await user.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        editing.StatusCode.ShouldBe(HttpStatusCode.OK);

        (await ChooseAsync(user, Id(twoo))).ShouldBe(HttpStatusCode.Conflict);
        (await ChooseAsync(other, Id(twoo))).ShouldBe(HttpStatusCode.NotFound);
        release.SetResult();
        (await SseReader.ReadAllAsync(editing, Ct))[^1].Type.ShouldBe("done");
        (await MessagesAsync(user, conversationId)).Select(Shown).ShouldBe(
            [("user", "Twoo", true), ("assistant", "Answer.", true), ("user", "Two", false), ("assistant", "Being written.", false)]);

        (await ChooseAsync(other, Id(twoo))).ShouldBe(HttpStatusCode.NotFound);
        (await ChooseAsync(user, Id(twoo))).ShouldBe(HttpStatusCode.NoContent);
        (await MessagesAsync(user, conversationId)).Select(Shown).ShouldBe(
            [("user", "Twoo", false), ("assistant", "Answer.", false), ("user", "Two", true), ("assistant", "Being written.", true)]);
    }
}
