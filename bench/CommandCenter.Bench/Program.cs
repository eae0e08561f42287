using System.Collections.Concurrent;
using System.Diagnostics;
using CommandCenter.Bench;
using CommandCenter.FakeAnthropic;
using Npgsql;

// The benchmark: every figure through the app and, where it means something, straight to the fake upstream,
// interleaved in one run; then the micro-benchmarks. Writes bench/RESULTS.md. Run with scripts/bench.sh.
var root = FindRoot();
var admin = Environment.GetEnvironmentVariable("CC_BENCH_POSTGRES") ?? throw new InvalidOperationException("CC_BENCH_POSTGRES is not set: run scripts/bench.sh.");
var database = $"cc_bench_{DateTime.UtcNow:yyyyMMddHHmmss}";
// CC_BENCH_CONNECTION_OPTIONS (say "No Reset On Close=true") is added to the app's connection string, to measure a setting before making it the default.
var connectionString = new NpgsqlConnectionStringBuilder($"{admin};{Environment.GetEnvironmentVariable("CC_BENCH_CONNECTION_OPTIONS")}") { Database = database }.ConnectionString;
var results = new Results(Path.Combine(root, "bench", "PROFILE.md"));
var clock = Stopwatch.StartNew();
// Names of phases to run (circuits, ttft, gateway, gap, capacity, memory, coldstart, statements, usage, micro); all when none is given.
bool Runs(string phase) => args.Length == 0 || args.Contains(phase);

await using var fake = await FakeAnthropicServer.StartAsync();
await using (var app = await AppProcess.StartAsync(root, connectionString, fake.BaseUrl))
using (var client = new StreamClient(app.BaseUrl, fake.BaseUrl))
{
    Log($"app process {app.ProcessId} on {app.BaseUrl}");
    var agent = await app.NewAgentAsync();
    var cpu = new CpuShare(app.ProcessId);

    if (Runs("circuits"))
    {
        // First, while nothing the load phases leave behind (finished replies, pooled buffers) is being released.
        Log("memory per idle circuit");
        // The lower of two dumps: what the first collection only queued for finalization is gone by the second.
        static async Task<double> Settled(AppProcess a) => Math.Min(await a.LiveManagedBytesAsync(), await a.LiveManagedBytesAsync());
        results.MemoryPerCircuit(await Circuits.MeasureAsync(app, [0, 10, 20, 40], Settled));
        // The same with the plainest page, to tell the circuit's own cost from the Command Center page's.
        results.MemoryPerCircuitOf("/settings", await Circuits.MeasureAsync(app, [0, 10, 20, 40], Settled, "/settings"));
    }

    // Quick replies, for time to first chunk: four pieces, no pacing.
    var quick = await UserAsync(app, fake, new FakeScenario { Chunks = ["One ", "two ", "three ", "four."], Usage = new FakeUsage(40, 4) });
    Log("warming up");
    await ClosedLoopAsync(16, TimeSpan.FromSeconds(10), _ => client.ThroughAppAsync(quick.Token, agent));
    await ClosedLoopAsync(16, TimeSpan.FromSeconds(3), _ => client.DirectAsync(quick.Key));

    // pg_stat_statements, when scripts/bench.sh could preload it on the bench's cluster: what PostgreSQL runs per reply.
    var statements = new StatementCounts(admin, database);
    var counting = Runs("ttft") && await statements.AvailableAsync();
    foreach (var clients in Runs("ttft") ? new[] { 1, 64 } : [])
    {
        // A fixed number of replies through the app (and as many straight to the fake, alternating), so that the CPU
        // each party used over the phase divides into a figure per reply. CC_BENCH_REPLIES changes the number.
        var replies = int.TryParse(Environment.GetEnvironmentVariable("CC_BENCH_REPLIES"), out var r) ? r : clients == 1 ? 1_000 : 4_000;
        Log($"time to first chunk, {clients} clients, {replies} replies through the app");
        // What the app uses idle (timers, the listener, the lease's keep-alive), to tell from what the replies cost.
        var idle = await cpu.MeasureSplitAsync(() => Task.Delay(TimeSpan.FromSeconds(2)));
        if (counting)
        {
            await statements.ResetAsync();
        }

        (List<StreamTiming> Direct, List<StreamTiming> Through) measured = ([], []);
        var use = await cpu.MeasureSplitAsync(async () => measured = await InterleavedCountAsync(clients, replies, quick.Key, quick.Token, agent, client));
        var (direct, through) = measured;
        results.Note($"Time to first chunk, {clients} client(s): {use}; {through.Count} streams through the app.");
        results.TimeToFirstChunk(clients, Percentiles.Sorted(direct.Select(t => t.TimeToFirstChunk)), Percentiles.Sorted(through.Select(t => t.TimeToFirstChunk)),
            through.Count(t => !t.Whole));
        results.CpuPerReply(clients, use, idle, through.Count, direct.Count);
        if (counting)
        {
            results.StatementsPerReply(clients, await statements.ReadAsync(), through.Count);
        }
    }

    foreach (var clients in Runs("gateway") ? new[] { 1, 16 } : [])
    {
        // The gateway relays Anthropic's bytes as they come: what it adds is its checks, its reservation and the relay.
        Log($"gateway, time to first chunk, {clients} clients");
        var key = await app.NewIntegrationKeyAsync(quick.Token);
        await ClosedLoopAsync(clients, TimeSpan.FromSeconds(3), _ => client.ThroughGatewayAsync(key));
        var direct = new ConcurrentBag<StreamTiming>();
        var gateway = new ConcurrentBag<StreamTiming>();
        await ClosedLoopAsync(clients, TimeSpan.FromSeconds(15), async i =>
        {
            var timing = i % 2 == 0 ? await client.DirectAsync(quick.Key) : await client.ThroughGatewayAsync(key);
            (i % 2 == 0 ? direct : gateway).Add(timing);
            return timing;
        });
        results.GatewayFirstChunk(clients, Percentiles.Sorted(direct.Select(t => t.TimeToFirstChunk)), Percentiles.Sorted(gateway.Select(t => t.TimeToFirstChunk)),
            gateway.Count(t => !t.Whole));
    }

    if (Runs("gateway"))
    {
        // The relay alone: from the fake writing a piece of text to the client reading it, one stream at a time (so the
        // fake's requests and the client's streams pair up in order), straight and through the gateway alternately.
        Log("gateway relay, per chunk");
        var relayed = await UserAsync(app, fake, new FakeScenario { Chunks = [.. Enumerable.Range(0, 10).Select(i => $"w{i} ")], ChunkDelay = TimeSpan.FromMilliseconds(10) });
        var key = await app.NewIntegrationKeyAsync(relayed.Token);
        List<double> direct = [], gateway = [];
        for (var i = 0; i < 300; i++)
        {
            var timing = i % 2 == 0 ? await client.DirectAsync(relayed.Key) : await client.ThroughGatewayAsync(key);
            var written = fake.RequestsFor(relayed.Key)[^1].TextDeltasWrittenAt;
            if (i >= 20 && timing.Whole && written.Count == timing.ChunkArrivals.Count)
            {
                (i % 2 == 0 ? direct : gateway).AddRange(written.Zip(timing.ChunkArrivals, (w, a) => (a - w).TotalMilliseconds));
            }
        }

        results.GatewayRelay(Percentiles.Sorted(direct.Select(TimeSpan.FromMilliseconds)), Percentiles.Sorted(gateway.Select(TimeSpan.FromMilliseconds)));
    }

    if (Runs("gap"))
    {
    Log("gap between chunks");
    var paced = await UserAsync(app, fake, new FakeScenario { Chunks = [.. Enumerable.Range(0, 30).Select(i => $"w{i} ")], ChunkDelay = TimeSpan.FromMilliseconds(20) });
    var (directPaced, throughPaced) = await InterleavedAsync(16, TimeSpan.FromSeconds(15), paced.Key, paced.Token, agent, client);
    results.Gaps(Percentiles.Sorted(directPaced.SelectMany(t => t.Gaps)), Percentiles.Sorted(throughPaced.SelectMany(t => t.Gaps)));
    }

    var pacing = TimeSpan.FromMilliseconds(200);
    var long6s = await UserAsync(app, fake, new FakeScenario { Chunks = [.. Enumerable.Range(0, 30).Select(i => $"w{i} ")], ChunkDelay = pacing, Usage = new FakeUsage(100, 30) });
    foreach (var streams in Runs("capacity") ? new[] { 256, 512, 1024, 2048 } : [])
    {
        Log($"capacity: {streams} streams");
        StreamTiming[] all = [];
        var share = await cpu.MeasureAsync(async () => all = await Task.WhenAll(Enumerable.Range(0, streams).Select(_ => client.ThroughAppAsync(long6s.Token, agent))), pacing * 30);
        results.Capacity(streams, pacing, all);
        results.Note($"{streams} streams: {share}.");
    }

    // Finished replies keep their events for the grace period (30 s): memory is measured once the earlier phases' are gone.
    var retention = TimeSpan.FromSeconds(32);
    if (Runs("memory"))
    {
    Log("memory per open stream (after the earlier replies' retention)");
    await Task.Delay(retention);
    var release = new TaskCompletionSource();
    var held = await UserAsync(app, fake, new FakeScenario { Chunks = ["Held ", "open."], HoldAfterChunks = 1, HoldUntil = release.Task, Usage = new FakeUsage(10, 2) });
    var open = new List<Task<StreamTiming>>();
    var samples = new List<(double Streams, double Bytes)> { (0, await app.LiveManagedBytesAsync()) };
    foreach (var target in new[] { 250, 500, 1000 })
    {
        while (open.Count < target)
        {
            open.Add(client.ThroughAppAsync(held.Token, agent));
        }

        while (fake.RequestsFor(held.Key).Count < target)
        {
            await Task.Delay(50);
        }

        samples.Add((target, await app.LiveManagedBytesAsync()));
    }

    release.SetResult();
    await Task.WhenAll(open);
    results.MemoryPerStream(samples);
    }
}

if (Runs("coldstart"))
{
    // A fresh process: the first message (what the first user after a deploy waits for) against the warm median.
    Log("first message after start");
    await using var cold = await AppProcess.StartAsync(root, connectionString, fake.BaseUrl);
    using var client = new StreamClient(cold.BaseUrl, fake.BaseUrl);
    var agent = await cold.NewAgentAsync();
    var user = await UserAsync(cold, fake, new FakeScenario { Chunks = ["One ", "two."] });
    var first = await client.ThroughAppAsync(user.Token, agent);
    var warm = new List<StreamTiming>();
    for (var i = 0; i < 30; i++)
    {
        warm.Add(await client.ThroughAppAsync(user.Token, agent));
    }

    results.FirstMessage(first.TimeToFirstChunk.TotalMilliseconds, Percentiles.Of(Percentiles.Sorted(warm.Skip(10).Select(t => t.TimeToFirstChunk)), 50));
}

if (Runs("statements"))
{
Log("database statements per message");
await using (var counted = await AppProcess.StartAsync(root, connectionString, fake.BaseUrl,
    [new("Logging__LogLevel__Microsoft.EntityFrameworkCore.Database.Command", "Information")], keepOutput: true))
using (var client = new StreamClient(counted.BaseUrl, fake.BaseUrl))
{
    var agent = await counted.NewAgentAsync();
    var statements = new Dictionary<int, int>();
    foreach (var chunks in new[] { 10, 10, 1000 })
    {
        var user = await UserAsync(counted, fake, new FakeScenario { Chunks = [.. Enumerable.Range(0, chunks).Select(i => $"w{i} ")] });
        await Task.Delay(500); // the log of the user's set-up commands may trail them
        var before = Executed(counted);
        var stream = await client.ThroughAppAsync(user.Token, agent);
        // The end write lands before the end is told; the command log line may trail it a moment.
        await Task.Delay(500);
        statements[chunks] = Executed(counted) - before;
        if (Environment.GetEnvironmentVariable("CC_BENCH_SHOW_STATEMENTS") is not null)
        {
            lock (counted.Output)
            {
                Console.Error.WriteLine($"--- {chunks} chunks:\n" + string.Join("\n", counted.Output.Where(l => l.Contains("Executed DbCommand") || l.StartsWith("      ", StringComparison.Ordinal)).TakeLast(60)));
            }
        }
        if (!stream.Whole)
        {
            throw new InvalidOperationException($"The {chunks}-chunk reply failed: {stream.Failure}");
        }
    }

    results.Statements(statements[10], statements[1000]);
}
}

if (Runs("usage"))
{
    Log($"usage report over {UsageScale.Traces:N0} traces");
    await using var reporting = await AppProcess.StartAsync(root, connectionString, fake.BaseUrl);
    await reporting.NewAgentAsync();
    var (operatorToken, _, _) = await reporting.NewOperatorAsync($"sk-ant-bench-{Guid.NewGuid():N}");
    var seeding = Stopwatch.StartNew();
    await UsageScale.SeedAsync(connectionString);
    results.Note($"Usage: {UsageScale.Traces:N0} traces over a year generated in {seeding.Elapsed.TotalSeconds:0} s.");
    results.Usage(
        await UsageScale.MeasureAsync(reporting.BaseUrl, await reporting.LoginAsync(AppProcess.AdminEmail, AppProcess.AdminPassword), 20),
        await UsageScale.MeasureAsync(reporting.BaseUrl, operatorToken, 20));
}

if (Runs("micro"))
{
    Log("micro-benchmarks");
    results.Micro(Micro.Run());
}

await using (var drop = new NpgsqlConnection(admin))
{
    await drop.OpenAsync();
    await new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", drop).ExecuteNonQueryAsync();
}

var path = Path.Combine(root, "bench", args.Length == 0 ? "RESULTS.md" : "RESULTS.partial.md");
await File.WriteAllTextAsync(path, results.ToMarkdown(clock.Elapsed));
Log($"wrote {path}");
Console.WriteLine(await File.ReadAllTextAsync(path));
return;

static string FindRoot()
{
    var folder = new DirectoryInfo(AppContext.BaseDirectory);
    while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "CommandCenter.sln")))
    {
        folder = folder.Parent;
    }

    return folder?.FullName ?? throw new InvalidOperationException("Run from inside the repository.");
}

void Log(string what) => Console.Error.WriteLine($"==> {clock.Elapsed:mm\\:ss} {what}");

static async Task<(string Key, string Token)> UserAsync(AppProcess app, FakeAnthropicServer fake, FakeScenario scenario)
{
    var key = $"sk-ant-bench-{Guid.NewGuid():N}";
    fake.SetScenario(key, scenario);
    var (token, _, _) = await app.NewOperatorAsync(key);
    return (key, token);
}

// Each client asks again as soon as its previous stream ended, until the time is up.
static async Task<List<StreamTiming>> ClosedLoopAsync(int clients, TimeSpan duration, Func<int, Task<StreamTiming>> call)
{
    var timings = new ConcurrentBag<StreamTiming>();
    var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
    {
        for (var i = c; Stopwatch.GetTimestamp() < end; i++)
        {
            timings.Add(await call(i));
        }
    }));
    return [.. timings];
}

// Direct and through-the-app calls alternate in every client, so both see the same machine at the same moment.
static async Task<(List<StreamTiming> Direct, List<StreamTiming> Through)> InterleavedAsync(
    int clients, TimeSpan duration, string key, string token, string agent, StreamClient client)
{
    var direct = new ConcurrentBag<StreamTiming>();
    var through = new ConcurrentBag<StreamTiming>();
    await ClosedLoopAsync(clients, duration, async i =>
    {
        var timing = i % 2 == 0 ? await client.DirectAsync(key) : await client.ThroughAppAsync(token, agent);
        (i % 2 == 0 ? direct : through).Add(timing);
        return timing;
    });
    return ([.. direct], [.. through]);
}

// The same, until a fixed number of replies went through the app (and as many straight to the fake).
static async Task<(List<StreamTiming> Direct, List<StreamTiming> Through)> InterleavedCountAsync(
    int clients, int replies, string key, string token, string agent, StreamClient client)
{
    var direct = new ConcurrentBag<StreamTiming>();
    var through = new ConcurrentBag<StreamTiming>();
    var next = -1;
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
    {
        for (int i; (i = Interlocked.Increment(ref next)) < 2 * replies;)
        {
            if (i % 2 == 0)
            {
                direct.Add(await client.DirectAsync(key));
            }
            else
            {
                through.Add(await client.ThroughAppAsync(token, agent));
            }
        }
    }));
    return ([.. direct], [.. through]);
}

static int Executed(AppProcess app)
{
    lock (app.Output)
    {
        return app.Output.Count(line => line.Contains("Executed DbCommand", StringComparison.Ordinal));
    }
}
