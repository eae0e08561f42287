using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>A reply is the server's: clients watch it, leave, come back for what they missed, or stop it.</summary>
public sealed class ReplyLifecycleTests(CommandCenterApp app) : IClassFixture<CommandCenterApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] Words = ["One ", "two ", "three ", "four ", "five ", "six."];

    private async Task<(TestUser User, string AgentId)> UserWithScenarioAsync(FakeScenario scenario)
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, scenario);
        return (await app.NewUserAsync(apiKey: key), await app.CreateAgentAsync());
    }

    [Fact]
    public async Task EveryEventCarriesItsNumberFromOneUpward()
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = Words });
        using var _ = user;
        using var response = await user.SendAsync(agentId, "Count", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);

        events.Select(e => e.Id).ShouldBe(Enumerable.Range(1, events.Count).Select(i => (long)i));
        events[0].Type.ShouldBe("meta");
        events[^1].Type.ShouldBe("done");
    }

    [Fact]
    public async Task ResumingAfterADisconnectReplaysExactlyTheMissedEventsThenContinuesLiveOnOneUpstreamCall()
    {
        var release = new TaskCompletionSource();
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = Words, HoldAfterChunks = 4, HoldUntil = release.Task, Usage = new FakeUsage(30, 6) });
        using var _ = user;

        var before = await user.SendAndLeaveAsync(agentId, "Count slowly", chunks: 2, Ct);
        var all = await user.ResumeAndReleaseAsync(before, releaseAt: "four ", release, Ct);

        string.Concat(all.Where(e => e.Type == "chunk").Select(e => e.Text)).ShouldBe(string.Concat(Words));
        all.Select(e => e.Type).TakeLast(2).ShouldBe(["cost", "done"]);
        all.Single(e => e.Type == "cost").Data.GetProperty("totalCost").GetDecimal().ShouldBe(0.00018m); // 30 × $3 + 6 × $15 per million
        app.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task AFinishedReplyReplaysToItsEndAndClosesAndAfterWorksLikeLastEventId()
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = Words });
        using var _ = user;
        using var response = await user.SendAsync(agentId, "Count", ct: Ct);
        var original = await SseReader.ReadAllAsync(response, Ct);
        var messageId = original[0].Data.GetProperty("messageId").GetString()!;

        using var whole = await user.ResumeAsync(messageId, ct: Ct);
        var replayed = await SseReader.ReadAllAsync(whole, Ct);
        replayed.Select(e => (e.Id, e.Type, e.Data.GetRawText())).ShouldBe(original.Select(e => (e.Id, e.Type, e.Data.GetRawText())));

        using var tail = await user.Client.GetAsync($"/api/command-center/messages/{messageId}/events?after=5", HttpCompletionOption.ResponseHeadersRead, Ct);
        (await SseReader.ReadAllAsync(tail, Ct)).Select(e => e.Id).ShouldBe(original.Skip(5).Select(e => e.Id));
        app.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task TwoWatchersSeeTheSameEventsFromOneUpstreamCall()
    {
        var release = new TaskCompletionSource();
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = Words, HoldAfterChunks = 1, HoldUntil = release.Task });
        using var _ = user;
        using var first = await user.SendAsync(agentId, "Count", ct: Ct);
        await using var firstEvents = SseReader.ReadAsync(first, Ct).GetAsyncEnumerator(Ct);
        (await firstEvents.MoveNextAsync()).ShouldBeTrue();
        var messageId = firstEvents.Current.Data.GetProperty("messageId").GetString()!;

        using var second = await user.ResumeAsync(messageId, ct: Ct);
        var secondReading = SseReader.ReadAllAsync(second, Ct);
        release.SetResult();

        var firstSaw = new List<ReceivedEvent> { firstEvents.Current };
        while (await firstEvents.MoveNextAsync())
        {
            firstSaw.Add(firstEvents.Current);
        }

        var secondSaw = await secondReading;
        secondSaw.Select(e => (e.Id, e.Type, e.Data.GetRawText())).ShouldBe(firstSaw.Select(e => (e.Id, e.Type, e.Data.GetRawText())));
        firstSaw[^1].Type.ShouldBe("done");
        app.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task StopByApiClosesTheUpstreamCallWithinASecondAndRecordsTheTokensKnownSoFar()
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = Words, HoldAfterChunks = 3, Usage = new FakeUsage(40, 9) });
        using var _ = user;
        using var response = await user.SendAsync(agentId, "Count", ct: Ct);
        var events = new List<ReceivedEvent>();
        HttpResponseMessage? stop = null;
        await foreach (var e in SseReader.ReadAsync(response, Ct))
        {
            events.Add(e);
            if (events.Count(x => x.Type == "chunk") == 3 && stop is null)
            {
                stop = await user.StopAsync(events[0].Data.GetProperty("messageId").GetString()!, Ct);
            }
        }

        stop!.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await stop.Content.ReadFromJsonAsync<JsonElement>(Ct);
        body.GetProperty("status").GetString().ShouldBe("stopped");

        var upstream = app.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem();
        upstream.ClientAborted.ShouldBeTrue();
        events.Select(e => e.Type).TakeLast(2).ShouldBe(["chunk", "cost"], "a stopped reply ends with its cost and no done");
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        var trace = await app.Database.SingleAsync("SELECT status, \"totalCost\" FROM task_trace WHERE id = $1", traceId);
        trace["status"].ShouldBe("cancelled");
        trace["totalCost"].ShouldBe(events[^1].Data.GetProperty("totalCost").GetDecimal());
        var session = await app.Database.SingleAsync("SELECT \"tokensIn\" FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId);
        session["tokensIn"].ShouldBe(40, "the input message_start reported");
        var reply = await app.Database.SingleAsync("SELECT status, content FROM messages WHERE \"taskTraceId\" = $1 AND role = 'assistant'", traceId);
        reply["status"].ShouldBe("stopped");
        reply["content"].ShouldBe("One two three ");
    }

    [Fact]
    public async Task StoppingClosesTheUpstreamConnectionThatWouldOtherwiseStayOpen()
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = Words, HoldAfterChunks = 1 });
        using var _ = user;
        using var response = await user.SendAsync(agentId, "Count", ct: Ct);
        await using var events = SseReader.ReadAsync(response, Ct).GetAsyncEnumerator(Ct);
        (await events.MoveNextAsync()).ShouldBeTrue();
        var messageId = events.Current.Data.GetProperty("messageId").GetString()!;
        var upstream = await app.Fake.WaitForRequestAsync(r => r.ApiKey == user.ApiKey, TimeSpan.FromSeconds(5));

        upstream.Ended.IsCompleted.ShouldBeFalse("the fake holds the stream open until its client goes away");
        using var stop = await user.StopAsync(messageId, Ct);
        await upstream.Ended.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        stop.StatusCode.ShouldBe(HttpStatusCode.OK);
        upstream.ClientAborted.ShouldBeTrue("the app closed the call: Anthropic stops generating, and billing, at once");
    }

    [Fact]
    public async Task StoppingAFinishedReplyIs409AndChangesNothing()
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = Words });
        using var _ = user;
        using var response = await user.SendAsync(agentId, "Count", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);

        using var stop = await user.StopAsync(events[0].Data.GetProperty("messageId").GetString()!, Ct);

        stop.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await stop.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString()!.ShouldContain("already ended");
        (await app.Database.SingleAsync("SELECT status FROM task_trace WHERE id = $1", events[0].Data.GetProperty("traceId").GetString()!))["status"].ShouldBe("completed");
    }

    [Fact]
    public async Task AnotherUsersReplyCannotBeResumedOrStopped()
    {
        var (owner, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = Words, HoldAfterChunks = 2 });
        using var _ = owner;
        using var stranger = await app.NewUserAsync(apiKey: CommandCenterApp.NewApiKey());
        using var response = await owner.SendAsync(agentId, "Count", ct: Ct);
        await using var events = SseReader.ReadAsync(response, Ct).GetAsyncEnumerator(Ct);
        (await events.MoveNextAsync()).ShouldBeTrue();
        var messageId = events.Current.Data.GetProperty("messageId").GetString()!;

        using var resume = await stranger.ResumeAsync(messageId, ct: Ct);
        using var stop = await stranger.StopAsync(messageId, Ct);
        using var unknown = await owner.ResumeAsync("no-such-message", ct: Ct);

        resume.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        stop.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await resume.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString().ShouldBe($"Message with ID {messageId} not found");
        app.Fake.RequestsFor(owner.ApiKey!).ShouldHaveSingleItem().ClientAborted.ShouldBeFalse();
        (await owner.StopAsync(messageId, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task TwoMessagesSentToOneConversationAtOnceMakeOneReplyAndOne409()
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = ["First."] });
        using var _ = user;
        using (var first = await user.SendAsync(agentId, "Start", ct: Ct))
        {
            await SseReader.ReadAllAsync(first, Ct);
        }

        var conversationId = (string)(await app.Database.SingleAsync("SELECT id FROM conversations WHERE \"ownerId\" = $1", user.Id))["id"]!;
        app.Fake.SetScenario(user.ApiKey!, new FakeScenario { Chunks = ["Second."], FirstByteDelay = TimeSpan.FromMilliseconds(300) });
        var responses = await Task.WhenAll(user.SendAsync(agentId, "Tab one", conversationId, Ct), user.SendAsync(agentId, "Tab two", conversationId, Ct));

        responses.Select(r => r.StatusCode).Order().ShouldBe([HttpStatusCode.OK, HttpStatusCode.Conflict]);
        var answered = responses.Single(r => r.StatusCode == HttpStatusCode.OK);
        (await SseReader.ReadAllAsync(answered, Ct))[^1].Type.ShouldBe("done");
        app.Fake.RequestsFor(user.ApiKey!).Count.ShouldBe(2, "the refused message never reached Anthropic");
        (await app.Database.QueryAsync("SELECT 1 FROM messages WHERE \"conversationId\" = $1", conversationId)).Count.ShouldBe(4);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Theory]
    [InlineData("Last-Event-ID", "abc")]
    [InlineData("Last-Event-ID", "-1")]
    [InlineData("Last-Event-ID", "999")]
    [InlineData("after", "-3")]
    [InlineData("after", "999")]
    public async Task ABadResumePointIs400NamingIt(string field, string value)
    {
        var (user, agentId) = await UserWithScenarioAsync(new FakeScenario { Chunks = Words });
        using var _ = user;
        using var response = await user.SendAsync(agentId, "Count", ct: Ct);
        var messageId = (await SseReader.ReadAllAsync(response, Ct))[0].Data.GetProperty("messageId").GetString()!;

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/command-center/messages/{messageId}/events" + (field == "after" ? $"?after={value}" : ""));
        if (field != "after")
        {
            request.Headers.TryAddWithoutValidation(field, value);
        }

        using var resume = await user.Client.SendAsync(request, Ct);
        resume.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await resume.Content.ReadFromJsonAsync<JsonElement>(Ct);
        problem.GetProperty("errors").TryGetProperty(field, out var _).ShouldBeTrue(problem.GetRawText());
    }
}
