using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>
/// A reply runs on the instance that started it; a client whose connection was cut may come back through any instance,
/// which follows it through PostgreSQL (LISTEN/NOTIFY), never with a second upstream call.
/// </summary>
public sealed class TwoInstanceReplyTests(CommandCenterApp a) : IClassFixture<CommandCenterApp>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Quotes, a backslash, accents and a piece longer than a NOTIFY payload may be: all must arrive as sent.
    private static readonly string[] Words = ["One ", "\"two\" ", "thrée\\ ", new string('x', 9000) + "é ", "five ", "six."];

    private CommandCenterApp _b = null!;

    public ValueTask InitializeAsync()
    {
        _b = a.StartAnotherInstance();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _b.DisposeAsync();

    [Fact]
    public async Task AReplyStartedOnOneInstanceIsResumedThroughTheOtherWithoutAGapOnOneUpstreamCall()
    {
        var release = new TaskCompletionSource();
        using var onA = await a.NewUserAnsweredByAsync(new FakeScenario { Chunks = Words, HoldAfterChunks = 4, HoldUntil = release.Task, Usage = new FakeUsage(30, 6) });
        using var onB = onA.Via(_b.BaseUrl);
        var agentId = await a.CreateAgentAsync();

        var before = await onA.SendAndLeaveAsync(agentId, "Count slowly", chunks: 2, Ct);
        var messageId = before[0].Data.GetProperty("messageId").GetString()!;

        // What was written while nobody watched comes through B, then the rest live.
        var all = await onB.ResumeAndReleaseAsync(before, releaseAt: Words[3], release, Ct);
        string.Concat(all.Where(e => e.Type == "chunk").Select(e => e.Text)).ShouldBe(string.Concat(Words));
        all.Select(e => e.Type).TakeLast(2).ShouldBe(["cost", "done"]);
        all.Single(e => e.Type == "cost").Data.GetProperty("totalCost").GetDecimal().ShouldBe(0.00018m);
        a.Fake.RequestsFor(onA.ApiKey!).ShouldHaveSingleItem();
        (await a.Logs.WaitForAsync(l => l.Contains($"Reply {messageId} is followed from another instance"), TimeSpan.FromSeconds(5))).ShouldNotBeNull();
    }

    [Fact]
    public async Task TwoClientsOnTheOtherInstanceSeeTheSameEventsAsTheOneThatStartedIt()
    {
        var release = new TaskCompletionSource();
        using var onA = await a.NewUserAnsweredByAsync(new FakeScenario { Chunks = Words, HoldAfterChunks = 1, HoldUntil = release.Task });
        using var onB = onA.Via(_b.BaseUrl);
        using var first = await onA.SendAsync(await a.CreateAgentAsync(), "Count", ct: Ct);
        await using var firstEvents = SseReader.ReadAsync(first, Ct).GetAsyncEnumerator(Ct);
        (await firstEvents.MoveNextAsync()).ShouldBeTrue();
        var messageId = firstEvents.Current.Data.GetProperty("messageId").GetString()!;

        using var second = await onB.ResumeAsync(messageId, ct: Ct);
        using var third = await onB.ResumeAsync(messageId, ct: Ct);
        var reading = Task.WhenAll(SseReader.ReadAllAsync(second, Ct), SseReader.ReadAllAsync(third, Ct));
        release.SetResult();
        var firstSaw = new List<ReceivedEvent> { firstEvents.Current };
        while (await firstEvents.MoveNextAsync())
        {
            firstSaw.Add(firstEvents.Current);
        }

        foreach (var saw in await reading)
        {
            saw.Select(e => (e.Id, e.Type, e.Data.GetRawText())).ShouldBe(firstSaw.Select(e => (e.Id, e.Type, e.Data.GetRawText())));
        }

        a.Fake.RequestsFor(onA.ApiKey!).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task StopThroughTheOtherInstanceEndsTheReplyWhereItRunsAndAnswersHowItEnded()
    {
        using var onA = await a.NewUserAnsweredByAsync(new FakeScenario { Chunks = Words, HoldAfterChunks = 2, Usage = new FakeUsage(40, 9) });
        using var onB = onA.Via(_b.BaseUrl);
        var before = await onA.SendAndLeaveAsync(await a.CreateAgentAsync(), "Count", chunks: 2, Ct);
        var messageId = before[0].Data.GetProperty("messageId").GetString()!;

        using var stop = await onB.StopAsync(messageId, Ct);
        stop.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await stop.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetString().ShouldBe("stopped");
        a.Fake.RequestsFor(onA.ApiKey!).ShouldHaveSingleItem().ClientAborted.ShouldBeTrue();
        var reply = await a.Database.SingleAsync("SELECT status, content FROM messages WHERE id = $1", messageId);
        reply["status"].ShouldBe("stopped");
        reply["content"].ShouldBe("One \"two\" ");

        using var again = await onB.StopAsync(messageId, Ct);
        again.StatusCode.ShouldBe(HttpStatusCode.Gone, "B reads from the database that it has ended");
        (await again.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("messageStatus").GetString().ShouldBe("stopped");
    }

    [Fact]
    public async Task AnotherUsersReplyCannotBeFollowedOrStoppedThroughTheOtherInstance()
    {
        var release = new TaskCompletionSource();
        using var owner = await a.NewUserAnsweredByAsync(new FakeScenario { Chunks = Words, HoldAfterChunks = 1, HoldUntil = release.Task });
        using var strangerOnA = await a.NewUserAsync();
        using var stranger = strangerOnA.Via(_b.BaseUrl);
        var before = await owner.SendAndLeaveAsync(await a.CreateAgentAsync(), "Count", chunks: 1, Ct);
        var messageId = before[0].Data.GetProperty("messageId").GetString()!;

        using var resumed = await stranger.ResumeAsync(messageId, ct: Ct);
        resumed.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        using var stop = await stranger.StopAsync(messageId, Ct);
        stop.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        release.SetResult();
        (await a.TraceEndedAsync(before[0].Data.GetProperty("traceId").GetString()!))["status"].ShouldBe("completed");
    }

    [Fact]
    public async Task AResumePointPastTheLastEventIs400ThroughTheOtherInstanceToo()
    {
        var release = new TaskCompletionSource();
        using var onA = await a.NewUserAnsweredByAsync(new FakeScenario { Chunks = Words, HoldAfterChunks = 1, HoldUntil = release.Task });
        using var onB = onA.Via(_b.BaseUrl);
        var before = await onA.SendAndLeaveAsync(await a.CreateAgentAsync(), "Count", chunks: 1, Ct);
        var messageId = before[0].Data.GetProperty("messageId").GetString()!;

        using var resumed = await onB.ResumeAsync(messageId, lastEventId: 99, ct: Ct);
        resumed.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await resumed.Content.ReadAsStringAsync(Ct)).ShouldContain("This reply has no event 99 yet; its last is 2.");
        release.SetResult();
    }

    [Fact]
    public async Task AReplyStoredAsStreamingThatNoInstanceRunsIs410()
    {
        using var user = await a.NewUserAnsweredByAsync(new FakeScenario { Chunks = ["Done."] });
        string messageId;
        await using (var gone = a.StartAnotherInstance())
        {
            using var onGone = user.Via(gone.BaseUrl);
            using var response = await onGone.SendAsync(await a.CreateAgentAsync(), "Hello", ct: Ct);
            messageId = (await SseReader.ReadAllAsync(response, Ct))[0].Data.GetProperty("messageId").GetString()!;
        }

        // As an instance that died leaves it, until the reaper settles it.
        await a.Database.QueryAsync("UPDATE messages SET status = 'streaming' WHERE id = $1", messageId);
        using var onB = user.Via(_b.BaseUrl);
        using var resumed = await onB.ResumeAsync(messageId, ct: Ct);
        resumed.StatusCode.ShouldBe(HttpStatusCode.Gone);
        using var stop = await onB.StopAsync(messageId, Ct);
        stop.StatusCode.ShouldBe(HttpStatusCode.Gone);
        await a.Database.QueryAsync("UPDATE messages SET status = 'complete' WHERE id = $1", messageId);
    }
}
