using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>The app with a three-second <c>Shutdown__DrainTimeout</c>; the test stops it.</summary>
public sealed class DrainingApp : CommandCenterApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Shutdown:DrainTimeout", "00:00:03")];
}

public sealed class ShutdownTests(DrainingApp app) : IClassFixture<DrainingApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OnShutdownNewRepliesAre503LiveOnesMayFinishAndTheRestEndAsFailedWithTheReason()
    {
        var finishes = new TaskCompletionSource();
        var (finishing, finishingAgent) = await UserAsync(new FakeScenario { Chunks = ["Made ", "it."], HoldAfterChunks = 1, HoldUntil = finishes.Task });
        var (cutOff, cutOffAgent) = await UserAsync(new FakeScenario { Chunks = ["Never ", "finished"], HoldAfterChunks = 1 });
        using var _ = finishing;
        using var __ = cutOff;
        var finishingEvents = await StartReadingAsync(finishing, finishingAgent);
        var cutOffEvents = await StartReadingAsync(cutOff, cutOffAgent);

        var stopping = app.StopAsync();
        await app.Logs.WaitForAsync(line => line.Contains("Shutting down: 2 live replies"), TimeSpan.FromSeconds(10));
        using (var refused = await finishing.SendAsync(finishingAgent, "One more?", ct: Ct))
        {
            refused.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            refused.Headers.RetryAfter.ShouldNotBeNull();
            (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString()!.ShouldContain("shutting down");
        }

        // A load balancer sees the instance as alive but no longer ready.
        using var client = app.CreateClient();
        (await client.GetAsync("/health/ready", Ct)).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await client.GetAsync("/health/live", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        finishes.SetResult();
        (await finishingEvents).Select(e => e.Type).TakeLast(2).ShouldBe(["cost", "done"]);
        var ended = await cutOffEvents;
        ended[^1].Type.ShouldBe("error");
        ended[^1].Data.GetProperty("error").GetString().ShouldBe("The server is shutting down.");
        await stopping;

        var traces = await app.Database.QueryAsync(
            "SELECT t.\"ownerId\", t.status, s.error FROM task_trace t JOIN trace_sessions s ON s.\"taskTraceId\" = t.id WHERE t.\"ownerId\" IN ($1, $2)", finishing.Id, cutOff.Id);
        traces.Single(t => (string)t["ownerId"]! == finishing.Id)["status"].ShouldBe("completed");
        var failed = traces.Single(t => (string)t["ownerId"]! == cutOff.Id);
        failed["status"].ShouldBe("failed", "a shutdown is not the operator pressing Stop");
        failed["error"].ShouldBe("The server is shutting down.");
    }

    private async Task<(TestUser User, string AgentId)> UserAsync(FakeScenario scenario)
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, scenario);
        return (await app.NewUserAsync(apiKey: key), await app.CreateAgentAsync());
    }

    /// <summary>Sends, waits for the first chunk (the reply is live and stored), then keeps reading in the background.</summary>
    private static async Task<Task<List<ReceivedEvent>>> StartReadingAsync(TestUser user, string agentId)
    {
        var response = await user.SendAsync(agentId, "Keep going", ct: Ct);
        var events = SseReader.ReadAsync(response, Ct).GetAsyncEnumerator(Ct);
        var seen = new List<ReceivedEvent>();
        while (await events.MoveNextAsync())
        {
            seen.Add(events.Current);
            if (events.Current.Type == "chunk")
            {
                break;
            }
        }

        return ReadRestAsync();

        async Task<List<ReceivedEvent>> ReadRestAsync()
        {
            await using (events)
            using (response)
            {
                while (await events.MoveNextAsync())
                {
                    seen.Add(events.Current);
                }
            }

            return seen;
        }
    }
}
