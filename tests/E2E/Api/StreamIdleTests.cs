using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>The app with a one-second <c>Anthropic__StreamIdleTimeout</c>.</summary>
public sealed class ShortIdleApp : CommandCenterApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Anthropic:StreamIdleTimeout", "00:00:01")];
}

/// <summary>An upstream that goes silent mid-reply is not waited on forever; one that pings while it thinks is.</summary>
public sealed class StreamIdleTests(ShortIdleApp app) : IClassFixture<ShortIdleApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<TestUser> UserAsync(FakeScenario scenario)
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, scenario);
        return await app.NewUserAsync(apiKey: key);
    }

    [Fact]
    public async Task ASilentUpstreamEndsTheReplyWithAnthropicStoppedRespondingAndAFailedTrace()
    {
        using var user = await UserAsync(new FakeScenario { Chunks = ["Then ", "nothing"], HoldAfterChunks = 1 });
        var agentId = await app.CreateAgentAsync();
        using var response = await user.SendAsync(agentId, "Go quiet", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);

        events.Select(e => e.Type).ShouldBe(["meta", "chunk", "error"]);
        events[^1].Data.GetProperty("error").GetString().ShouldBe("Anthropic stopped responding.");
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        (await app.Database.SingleAsync("SELECT status FROM task_trace WHERE id = $1", traceId))["status"].ShouldBe("failed");
        (await app.Database.SingleAsync("SELECT error FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId))["error"].ShouldBe("Anthropic stopped responding.");
        var upstream = app.Fake.RequestsFor(user.ApiKey!).ShouldHaveSingleItem();
        await upstream.Ended.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        upstream.ClientAborted.ShouldBeTrue("the call was closed, not left open");
    }

    [Fact]
    public async Task PingsKeepAQuietReplyAliveLongPastTheIdleTimeout()
    {
        var release = new TaskCompletionSource();
        using var user = await UserAsync(new FakeScenario
        {
            Chunks = ["Thinking… ", "done."], HoldAfterChunks = 1, HoldUntil = release.Task, PingWhileHolding = TimeSpan.FromMilliseconds(200),
        });
        var agentId = await app.CreateAgentAsync();
        using var response = await user.SendAsync(agentId, "Think hard", ct: Ct);
        var reading = SseReader.ReadAllAsync(response, Ct);

        // Ten pings 200 ms apart: twice the idle timeout without a word, but never a second without a byte.
        var upstream = await app.Fake.WaitForRequestAsync(r => r.ApiKey == user.ApiKey, TimeSpan.FromSeconds(10));
        await upstream.PingsSentAsync(10).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        release.SetResult();

        var events = await reading;
        events[^1].Type.ShouldBe("done");
        string.Concat(events.Where(e => e.Type == "chunk").Select(e => e.Text)).ShouldBe("Thinking… done.");
    }
}
