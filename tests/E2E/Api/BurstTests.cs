using System.Net;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>The app with a pool of 4 connections and no message rate or live-reply cap, so one user can burst.</summary>
public sealed class SmallPoolApp : CommandCenterApp
{
    public const int PoolSize = 4;

    /// <summary>Names the app's connections, so that the test's own (its database helper's pool) are not counted with them.</summary>
    public const string ApplicationName = "burst-app";

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("ConnectionStrings:CommandCenter", Database.ConnectionString + $";Maximum Pool Size={PoolSize};Application Name={ApplicationName}"),
        new("RateLimits:MessagesPerMinute", "100000"),
        new("RateLimits:ConcurrentRepliesPerUser", "1000"),
    ];
}

public sealed class BurstTests(SmallPoolApp app) : IClassFixture<SmallPoolApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ABurstFiftyTimesThePoolSizeWaitsForConnectionsAndEveryReplyIsRecorded()
    {
        const int Streams = SmallPoolApp.PoolSize * 50;
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Burst ", "reply."], ChunkDelay = TimeSpan.FromMilliseconds(20), Usage = new FakeUsage(10, 2) });
        using var user = await app.NewUserAsync(apiKey: key);
        var agentId = await app.CreateAgentAsync();

        var replies = await Task.WhenAll(Enumerable.Range(0, Streams).Select(async i =>
        {
            using var response = await user.SendAsync(agentId, $"Message {i}", ct: Ct);
            return (response.StatusCode, Events: response.IsSuccessStatusCode ? await SseReader.ReadAllAsync(response, Ct) : []);
        }));

        replies.Select(r => r.StatusCode).Distinct().ShouldBe([HttpStatusCode.OK]);
        replies.Select(r => r.Events.Last().Type).Distinct().ShouldBe(["done"]);
        var statuses = await app.Database.QueryAsync("SELECT status, count(*)::int AS n FROM task_trace WHERE \"ownerId\" = $1 GROUP BY status", user.Id);
        statuses.ShouldHaveSingleItem()["status"].ShouldBe("completed");
        statuses[0]["n"].ShouldBe(Streams);
        var connections = await app.Database.SingleAsync("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1", SmallPoolApp.ApplicationName);
        ((int)connections["n"]!).ShouldBeInRange(1, SmallPoolApp.PoolSize + 2, "the pool; the lease and the cache listener each on a connection of its own");
    }
}
