using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>The app reaching PostgreSQL through a relay that can cut a connection right after a statement has committed.</summary>
public sealed class CutConnectionApp : CommandCenterApp
{
    public PostgresCutter Cutter { get; private set; } = null!;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("ConnectionStrings:CommandCenter", Cutter.Through(Database.ConnectionString))];

    public override async ValueTask InitializeAsync()
    {
        Cutter = new PostgresCutter(TestDatabase.AdminConnectionString);
        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Cutter.DisposeAsync();
    }
}

/// <summary>A write that lands but whose answer is lost with its connection is retried without writing anything twice.</summary>
public sealed class CommittedWriteTests(CutConnectionApp app) : IClassFixture<CutConnectionApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("INSERT INTO task_trace", "the start")]
    [InlineData("UPDATE task_trace", "the end")]
    public async Task AWriteThatCommittedAndLostItsConnectionIsRetriedAndEveryRowIsThereOnce(string statement, string write)
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Written ", "once."], Usage = new FakeUsage(100, 20) });
        using var user = await app.NewUserAsync(apiKey: key);
        var agentId = await app.CreateAgentAsync();
        var cutsBefore = app.Cutter.Cuts;

        app.Cutter.CutAfter(statement);
        using var response = await user.SendAsync(agentId, "Say it once", ct: Ct);
        var events = await SseReader.ReadAllAsync(response, Ct);

        app.Cutter.Cuts.ShouldBe(cutsBefore + 1, $"{write} committed, and its connection was cut before the answer");
        events[^1].Type.ShouldBe("done");
        var traceId = events[0].Data.GetProperty("traceId").GetString()!;
        var conversationId = events[0].Data.GetProperty("conversationId").GetString()!;
        (await app.Database.QueryAsync("SELECT 1 FROM conversations WHERE id = $1", conversationId)).Count.ShouldBe(1);
        var trace = await app.Database.SingleAsync("SELECT status, \"totalCost\" FROM task_trace WHERE id = $1", traceId);
        trace["status"].ShouldBe("completed");
        trace["totalCost"].ShouldBe(0.0006m); // 100 × $3 + 20 × $15 per million
        (await app.Database.QueryAsync("SELECT 1 FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId)).Count.ShouldBe(1);
        var messages = await app.Database.QueryAsync("SELECT role, status, content FROM messages WHERE \"conversationId\" = $1 ORDER BY position", conversationId);
        messages.Select(m => (string)m["role"]!).ShouldBe(["user", "assistant"]);
        messages[1]["status"].ShouldBe("complete");
        messages[1]["content"].ShouldBe("Written once.");
        (await app.Database.SingleAsync("SELECT count(*) AS n FROM task_trace WHERE \"ownerId\" = $1", user.Id))["n"].ShouldBe(1L);
    }
}
