using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

public sealed class HeartbeatApp : CommandCenterApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Streaming:HeartbeatInterval", "00:00:00.100")];
}

public sealed class HeartbeatTests(HeartbeatApp app) : IClassFixture<HeartbeatApp>
{
    [Fact]
    public async Task ASilentUpstreamGetsCommentHeartbeatsThatParsersIgnore()
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["slow", " reply"], ChunkDelay = TimeSpan.FromMilliseconds(450) });
        var agentId = await app.CreateAgentAsync();
        using var user = await app.NewUserAsync(apiKey: key);

        using var response = await user.SendAsync(agentId, "take your time", ct: TestContext.Current.CancellationToken);
        var raw = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        raw.ShouldContain(": keep-alive\n\n");
        var events = System.Net.ServerSentEvents.SseParser.Create(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(raw))).Enumerate().Select(e => e.EventType).ToList();
        events.ShouldBe(["meta", "chunk", "chunk", "cost", "done"]);
    }
}
