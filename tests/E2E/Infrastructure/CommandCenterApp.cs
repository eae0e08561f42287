using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.FakeAnthropic;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CommandCenter.E2E.Infrastructure;

/// <summary>
/// The real app on real Kestrel (127.0.0.1, a free port) with its own PostgreSQL database and its own fake Anthropic
/// upstream. One per test class (IClassFixture); tests in a class make their own users and agents, so order never matters.
/// </summary>
public class CommandCenterApp : IAsyncLifetime
{
    public const string AdminEmail = "admin@e2e.test";
    public const string AdminPassword = "Admin-Pass-123";

    private Factory _factory = null!;
    private bool _sharesDependencies;
    private CommandCenterApp? _first; // the instance this one was started beside; it takes that one's settings

    public FakeAnthropicServer Fake { get; private set; } = null!;
    public TestDatabase Database { get; private set; } = null!;
    public LogCapture Logs { get; } = new();
    public DbCommandCounter DbCommands { get; } = new();
    public Uri BaseUrl { get; private set; } = null!;
    public IServiceProvider Services => _factory.Services;

    /// <summary>The database the app starts on; it does not exist yet, so start-up creates and migrates it.</summary>
    protected virtual TestDatabase CreateDatabase() => TestDatabase.Reserve();

    /// <summary>False when the test that made the database drops it.</summary>
    protected virtual bool OwnsDatabase => true;

    /// <summary>Settings on top of the defaults, for fixtures that need other ones.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => _first?.Settings ?? [];

    /// <summary>Services on top of the app's, for fixtures that need to observe it (telemetry exporters).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public virtual async ValueTask InitializeAsync()
    {
        Fake = await FakeAnthropicServer.StartAsync();
        Database = CreateDatabase();
        StartInstances();
    }

    /// <summary>Starts this instance; a fixture of several starts them all here.</summary>
    protected virtual void StartInstances() => Start();

    /// <summary>Another instance of the app on the same database, fake upstream and settings, as behind a load balancer.</summary>
    public CommandCenterApp StartAnotherInstance()
    {
        var other = AnotherInstance();
        other.Start();
        return other;
    }

    /// <summary>Another instance, not started yet.</summary>
    internal CommandCenterApp AnotherInstance() => new() { Fake = Fake, Database = Database, _sharesDependencies = true, _first = this };

    internal void Start()
    {
        _factory = new Factory(this);
        _factory.UseKestrel(0);
        _factory.StartServer();
        var address = _factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        BaseUrl = new Uri(address.Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1"));
    }

    private Task? _stopped;

    /// <summary>Stops the app as SIGTERM does (and disposes it); completes when it has stopped.</summary>
    public Task StopAsync() => _stopped ??= _factory.DisposeAsync().AsTask();

    public virtual async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (!_sharesDependencies)
        {
            await Fake.DisposeAsync();
            if (OwnsDatabase)
            {
                await Database.DisposeAsync();
            }
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>The id of the user's first trace, once its start is stored.</summary>
    public async Task<string> TraceStartedAsync(string userId)
    {
        var rows = await Eventually.UntilAsync(
            () => Database.QueryAsync("SELECT id FROM task_trace WHERE \"ownerId\" = $1 ORDER BY \"createdAt\", id LIMIT 1", userId),
            found => found.Count == 1, TimeSpan.FromSeconds(30));
        return (string)rows.ShouldHaveSingleItem("no trace of the user was stored")["id"]!;
    }

    /// <summary>The trace's row, once its end is stored.</summary>
    public async Task<Dictionary<string, object?>> TraceEndedAsync(string traceId)
    {
        var trace = await Eventually.UntilAsync(
            () => Database.SingleAsync("SELECT * FROM task_trace WHERE id = $1", traceId), row => (string)row["status"]! != "running", TimeSpan.FromSeconds(30));
        ((string)trace["status"]!).ShouldNotBe("running", "the trace's end was not stored");
        return trace;
    }

    public HttpClient CreateClient(string? accessToken = null)
    {
        // Like a browser, close the connection at once when a response is abandoned (no draining first).
        var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        if (accessToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        return client;
    }

    public async Task<string> LoginAsync(string email, string password)
    {
        using var client = CreateClient();
        var response = await client.PostAsJsonAsync("/api/auth/login", new { email, password });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }

    public async Task<HttpClient> AdminAsync() => CreateClient(await LoginAsync(AdminEmail, AdminPassword));

    /// <summary>A fresh account (created by the admin over the API), signed in; with a key of its own when given one.</summary>
    public async Task<TestUser> NewUserAsync(string role = "Operator", string? apiKey = null)
    {
        var email = $"user-{Guid.NewGuid():N}@e2e.test";
        const string password = "User-Pass-123";
        using var admin = await AdminAsync();
        var created = await admin.PostAsJsonAsync("/api/users", new { email, password, role });
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var client = CreateClient(await LoginAsync(email, password));
        if (apiKey is not null)
        {
            (await client.PutAsJsonAsync("/api/me/anthropic-key", new { apiKey })).EnsureSuccessStatusCode();
        }

        return new TestUser(id, email, password, apiKey, client);
    }

    /// <summary>A unique key, so the fake can be told how to answer this user's requests alone.</summary>
    public static string NewApiKey() => $"sk-ant-e2e-{Guid.NewGuid():N}";

    /// <summary>A fresh operator whose key the fake answers with <paramref name="scenario"/>.</summary>
    public async Task<TestUser> NewUserAnsweredByAsync(FakeScenario scenario)
    {
        var key = NewApiKey();
        Fake.SetScenario(key, scenario);
        return await NewUserAsync(apiKey: key);
    }

    public async Task<string> CreateAgentAsync(string model = "claude-sonnet-4-6", string status = "ACTIVE", string systemPrompt = "You are terse.", int maxTokens = 512)
    {
        using var admin = await AdminAsync();
        var response = await admin.PostAsJsonAsync("/api/agents", new
        {
            name = $"Agent {Guid.NewGuid():N}",
            description = "E2E agent",
            model,
            systemPrompt,
            maxTokens,
            status,
        });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private sealed class Factory(CommandCenterApp app) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            IEnumerable<KeyValuePair<string, string?>> defaults =
            [
                new("ConnectionStrings:CommandCenter", app.Database.ConnectionString),
                new("Anthropic:BaseUrl", app.Fake.BaseUrl.ToString()),
                new("Seed:AdminEmail", AdminEmail),
                new("Seed:AdminPassword", AdminPassword),
                // Every test signs in from 127.0.0.1; the per-address limit has a fixture of its own.
                new("RateLimits:SignInsPerMinute", "100000"),
                // Everything the app can log, so that tests asserting what never appears in a log see it all.
                new("Logging:LogLevel:Default", "Trace"),
                new("Logging:LogLevel:Microsoft.AspNetCore", "Trace"),
                new("Logging:LogLevel:Microsoft.EntityFrameworkCore", "Trace"),
            ];
            foreach (var (key, value) in defaults.Concat(app.Settings))
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureLogging(logging => logging.AddProvider(app.Logs).SetMinimumLevel(LogLevel.Trace));
            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton<IInterceptor>(app.DbCommands);
                app.ConfigureServices(services);
            });
        }
    }
}

public sealed record TestUser(string Id, string Email, string Password, string? ApiKey, HttpClient Client) : IDisposable
{
    public async Task<HttpResponseMessage> SendAsync(string agentId, string message, string? conversationId = null, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/command-center/message")
        {
            Content = JsonContent.Create(new { agentId, conversationId, message }),
        };
        return await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    /// <summary>Sends a message and reads its events until <paramref name="chunks"/> chunks have arrived, then drops the connection.</summary>
    public async Task<List<ReceivedEvent>> SendAndLeaveAsync(string agentId, string message, int chunks, CancellationToken ct = default)
    {
        using var leave = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var seen = new List<ReceivedEvent>();
        var response = await SendAsync(agentId, message, ct: leave.Token);
        try
        {
            await foreach (var e in SseReader.ReadAsync(response, leave.Token))
            {
                seen.Add(e);
                if (seen.Count(x => x.Type == "chunk") == chunks)
                {
                    break;
                }
            }
        }
        finally
        {
            await leave.CancelAsync();
            response.Dispose();
        }

        return seen;
    }

    /// <summary><c>GET /api/command-center/messages/{id}/events</c>, after <paramref name="lastEventId"/> when given.</summary>
    public async Task<HttpResponseMessage> ResumeAsync(string messageId, long? lastEventId = null, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/command-center/messages/{messageId}/events");
        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    /// <summary>
    /// Comes back for a reply after the events <paramref name="before"/> (its connection was cut), lets the held upstream
    /// go on once the chunk <paramref name="releaseAt"/> has been replayed, and returns every event, before and after.
    /// </summary>
    public async Task<List<ReceivedEvent>> ResumeAndReleaseAsync(List<ReceivedEvent> before, string releaseAt, TaskCompletionSource release, CancellationToken ct = default)
    {
        using var resumed = await ResumeAsync(before[0].Data.GetProperty("messageId").GetString()!, lastEventId: before[^1].Id, ct: ct);
        resumed.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        resumed.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var all = new List<ReceivedEvent>(before);
        await foreach (var e in SseReader.ReadAsync(resumed, ct))
        {
            all.Add(e);
            if (e.Type == "chunk" && e.Text == releaseAt)
            {
                // Everything written so far was replayed; what follows comes live.
                release.SetResult();
            }
        }

        all.Select(e => e.Id).ShouldBe(Enumerable.Range(1, all.Count).Select(i => (long)i), "no event is skipped or repeated");
        return all;
    }

    /// <summary><c>POST /api/command-center/messages/{id}/stop</c>.</summary>
    public Task<HttpResponseMessage> StopAsync(string messageId, CancellationToken ct = default) =>
        Client.PostAsync($"/api/command-center/messages/{messageId}/stop", null, ct);

    /// <summary>The same user, with the same bearer token, talking to another address: a second instance, or a proxy.</summary>
    public TestUser Via(Uri baseUrl)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = baseUrl, Timeout = Client.Timeout };
        client.DefaultRequestHeaders.Authorization = Client.DefaultRequestHeaders.Authorization;
        return this with { Client = client };
    }

    public void Dispose() => Client.Dispose();
}
