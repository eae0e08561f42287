using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using CommandCenter.E2E.Api;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Load;

/// <summary>The app on its own PostgreSQL, with the limits lifted so that load is the only pressure.</summary>
public sealed class LoadApp : RestartablePostgresApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("RateLimits:MessagesPerMinute", "100000"),
        new("RateLimits:ConcurrentRepliesPerUser", "1000"),
        new("Streaming:UnwatchedGrace", "00:00:02"),
        // Warnings and errors only: a trace of every log line would be the load.
        new("Logging:LogLevel:Default", "Warning"),
        new("Logging:LogLevel:Microsoft.AspNetCore", "Warning"),
        new("Logging:LogLevel:Microsoft.EntityFrameworkCore", "Warning"),
    ];
}

/// <summary>
/// 200 clients streaming for 60 s, about a tenth of them meeting a fault (an error mid-stream, a dropped upstream
/// connection, a client that walks away), and PostgreSQL restarted in the middle. Afterwards: no trace running, every
/// cost a client was told equal to the stored one, memory back near where it started. Run with scripts/load-test.sh.
/// </summary>
[Trait("Category", "Load")]
public sealed class LoadAndFaultTests(LoadApp app) : IClassFixture<LoadApp>
{
    private const int Clients = 200;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(60);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private enum Kind { Normal, ErrorMidStream, DroppedUpstream, ClientWalksAway }

    private sealed record Outcome(Kind Kind, HttpStatusCode Status, string? TraceId, decimal? CostSeen, string? LastEvent);

    [Fact]
    public async Task TwoHundredStreamsWithFaultsAndADatabaseRestartLeaveExactRecords()
    {
        var agentId = await app.CreateAgentAsync();
        var users = new Dictionary<Kind, TestUser>();
        foreach (var kind in Enum.GetValues<Kind>())
        {
            var key = CommandCenterApp.NewApiKey();
            app.Fake.SetScenario(key, new FakeScenario
            {
                Chunks = [.. Enumerable.Range(0, 20).Select(i => $"w{i} ")],
                ChunkDelay = TimeSpan.FromMilliseconds(50),
                Usage = new FakeUsage(120, 20),
                ErrorAfterChunks = kind == Kind.ErrorMidStream ? 8 : null,
                DropAfterChunks = kind == Kind.DroppedUpstream ? 8 : null,
            });
            users[kind] = await app.NewUserAsync(apiKey: key);
        }

        await RunAsync(users, agentId, TimeSpan.FromSeconds(5), restartAt: null); // warm-up
        var memoryBefore = SettledMemory();

        var clock = Stopwatch.StartNew();
        var outcomes = await RunAsync(users, agentId, Duration, restartAt: TimeSpan.FromSeconds(30));
        var elapsed = clock.Elapsed;

        // Every reply ends: by completion, failure or the grace period after its client left; then it is forgotten.
        var running = await Eventually.UntilAsync(
            async () => (int)(await app.Database.SingleAsync("SELECT count(*)::int AS n FROM task_trace WHERE status = 'running'"))["n"]!,
            n => n == 0, TimeSpan.FromSeconds(60));
        var stored = (await app.Database.QueryAsync("SELECT id, status, \"totalCost\" FROM task_trace"))
            .ToDictionary(r => (string)r["id"]!, r => (Status: (string)r["status"]!, Cost: (decimal)r["totalCost"]!));
        var told = outcomes.Where(o => o.CostSeen is not null).ToList();
        var differences = told.Count(o => !stored.TryGetValue(o.TraceId!, out var row) || row.Cost != o.CostSeen);
        var missing = outcomes.Count(o => o.TraceId is not null && !stored.ContainsKey(o.TraceId));
        await Task.Delay(TimeSpan.FromSeconds(3), Ct); // past the grace period that keeps finished replies' events
        var memoryAfter = SettledMemory();

        var report = Report(outcomes, stored, elapsed, running, differences, missing, memoryBefore, memoryAfter);
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        var folder = Environment.GetEnvironmentVariable("CC_SCREENSHOTS") is { } shots ? Path.GetDirectoryName(shots)! : Path.GetTempPath();
        await File.WriteAllTextAsync(Path.Combine(folder, "load-and-fault.md"), report, Ct);

        running.ShouldBe(0, report);
        differences.ShouldBe(0, report);
        missing.ShouldBe(0, report);
        outcomes.Count(o => o.Status is not (HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable)).ShouldBe(0, report);
        (memoryAfter - memoryBefore).ShouldBeLessThan(64L << 20, report);
    }

    /// <summary>Each client in a closed loop for <paramref name="duration"/>; PostgreSQL stopped for three seconds at <paramref name="restartAt"/>.</summary>
    private async Task<List<Outcome>> RunAsync(Dictionary<Kind, TestUser> users, string agentId, TimeSpan duration, TimeSpan? restartAt)
    {
        var outcomes = new ConcurrentBag<Outcome>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        stop.CancelAfter(duration);
        var restart = restartAt is { } at ? RestartAsync(at) : Task.CompletedTask;
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async client =>
        {
            // About one client in ten meets a fault, of the three kinds in turn.
            var kind = (client % 30) switch { 0 => Kind.ErrorMidStream, 10 => Kind.DroppedUpstream, 20 => Kind.ClientWalksAway, _ => Kind.Normal };
            var user = users[kind];
            while (!stop.IsCancellationRequested)
            {
                outcomes.Add(await OneAsync(user, agentId, kind));
            }
        }));
        await restart;
        return [.. outcomes];
    }

    private async Task RestartAsync(TimeSpan at)
    {
        await Task.Delay(at, Ct);
        await app.Server.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        await app.Server.StartAgainAsync();
    }

    private static async Task<Outcome> OneAsync(TestUser user, string agentId, Kind kind)
    {
        using var leave = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        try
        {
            using var response = await user.SendAsync(agentId, "Load", ct: leave.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200), Ct); // as Retry-After asks, roughly
                }

                return new Outcome(kind, response.StatusCode, null, null, null);
            }

            string? traceId = null;
            decimal? cost = null;
            string? last = null;
            var chunks = 0;
            await foreach (var e in SseReader.ReadAsync(response, leave.Token))
            {
                traceId ??= e.Data.GetProperty("traceId").GetString();
                last = e.Type;
                if (e.Type == "cost")
                {
                    cost = e.Data.GetProperty("totalCost").GetDecimal();
                }

                if (kind == Kind.ClientWalksAway && e.Type == "chunk" && ++chunks == 5)
                {
                    await leave.CancelAsync();
                    break;
                }
            }

            return new Outcome(kind, HttpStatusCode.OK, traceId, cost, last);
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException && !Ct.IsCancellationRequested)
        {
            return new Outcome(kind, HttpStatusCode.OK, null, null, "client error");
        }
    }

    /// <summary>Managed memory after a full collection, with what the test's own recorders keep (every request, command, log line) let go.</summary>
    private long SettledMemory()
    {
        app.Fake.ForgetRequests();
        app.DbCommands.Clear();
        app.Logs.Clear();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static string Report(
        List<Outcome> outcomes, Dictionary<string, (string Status, decimal Cost)> stored, TimeSpan elapsed, int running, int differences, int missing,
        long memoryBefore, long memoryAfter)
    {
        var text = new StringBuilder();
        text.AppendLine($"# Load and fault run, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
        text.AppendLine();
        text.AppendLine($"- {Clients} clients in a closed loop for {elapsed.TotalSeconds:0} s; PostgreSQL stopped for 3 s at 30 s");
        text.AppendLine($"- requests: {outcomes.Count}; streams: {outcomes.Count(o => o.TraceId is not null)}; 503 while the database was away: {outcomes.Count(o => o.Status == HttpStatusCode.ServiceUnavailable)}");
        foreach (var group in outcomes.Where(o => o.TraceId is not null).GroupBy(o => o.Kind))
        {
            text.AppendLine($"- {group.Key}: {group.Count()} streams, ending in {string.Join(", ", group.GroupBy(o => o.LastEvent ?? "nothing").Select(g => $"{g.Key} {g.Count()}"))}");
        }

        text.AppendLine($"- stored traces: {string.Join(", ", stored.Values.GroupBy(v => v.Status).Select(g => $"{g.Key} {g.Count()}"))}");
        text.AppendLine($"- traces still running at the end: {running}; costs told that differ from the stored cost: {differences}; streams with no trace: {missing}");
        text.AppendLine($"- managed memory after a full collection: {memoryBefore / 1048576.0:0.0} MiB before, {memoryAfter / 1048576.0:0.0} MiB after");
        return text.ToString();
    }
}
