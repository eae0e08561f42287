using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>The app with a one-second <c>Streaming__UnwatchedGrace</c>.</summary>
public sealed class ShortGraceApp : CommandCenterApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Streaming:UnwatchedGrace", "00:00:01")];
}

/// <summary>A reply nobody watches is stopped after the grace period; a finished one is kept for that long, then the stored message is the truth.</summary>
public sealed class UnwatchedReplyTests(ShortGraceApp app) : IClassFixture<ShortGraceApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AReplyNobodyWatchesIsCancelledAfterTheGracePeriodWithTheTokensKnownSoFar()
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Said ", "this ", "and never more"], HoldAfterChunks = 2, Usage = new FakeUsage(55, 7) });
        using var user = await app.NewUserAsync(apiKey: key);
        var agentId = await app.CreateAgentAsync();

        var seen = await user.SendAndLeaveAsync(agentId, "Talk, then be left alone", chunks: 2, Ct);
        var traceId = seen[0].Data.GetProperty("traceId").GetString()!;

        var upstream = app.Fake.RequestsFor(key).ShouldHaveSingleItem();
        await upstream.Ended.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        upstream.ClientAborted.ShouldBeTrue("the grace period ran out and the call to Anthropic was closed");

        var trace = await app.TraceEndedAsync(traceId);
        trace["status"].ShouldBe("cancelled");
        var session = await app.Database.SingleAsync("SELECT \"tokensIn\", error FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId);
        session["tokensIn"].ShouldBe(55);
        ((string)session["error"]!).ShouldContain("nobody watched");
        var reply = await app.Database.SingleAsync("SELECT content, status FROM messages WHERE \"taskTraceId\" = $1 AND role = 'assistant'", traceId);
        reply["content"].ShouldBe("Said this ");
        reply["status"].ShouldBe("stopped");
    }

    [Fact]
    public async Task AFinishedReplysEventsAreKeptForTheGracePeriodThenResumingIs410WithTheStoredStatus()
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Done."] });
        using var user = await app.NewUserAsync(apiKey: key);
        var agentId = await app.CreateAgentAsync();
        using var response = await user.SendAsync(agentId, "Quick one", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);
        var messageId = events[0].Data.GetProperty("messageId").GetString()!;
        var conversationId = events[0].Data.GetProperty("conversationId").GetString()!;

        // Gone from the live replies once the grace period after its end is over: the app says when.
        await app.Logs.WaitForAsync(line => line.Contains("no longer kept") && line.Contains(messageId), TimeSpan.FromSeconds(10));
        using var resume = await user.ResumeAsync(messageId, ct: Ct);

        resume.StatusCode.ShouldBe(HttpStatusCode.Gone);
        var problem = await resume.Content.ReadFromJsonAsync<JsonElement>(Ct);
        problem.GetProperty("messageStatus").GetString().ShouldBe("complete");
        problem.GetProperty("conversationId").GetString().ShouldBe(conversationId);
        problem.GetProperty("error").GetString()!.ShouldContain($"/api/conversations/{conversationId}");
    }
}
