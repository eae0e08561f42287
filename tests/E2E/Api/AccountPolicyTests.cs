using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommandCenter.E2E.Infrastructure;
using CommandCenter.FakeAnthropic;

namespace CommandCenter.E2E.Api;

/// <summary>The app with a cap of two live replies per user, and cookies revalidated every second.</summary>
public sealed class AccountPolicyApp : CommandCenterApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("RateLimits:ConcurrentRepliesPerUser", "2"),
        new("Auth:SessionRevalidationInterval", "00:00:01"),
    ];
}

/// <summary>What a disabled account can still do (nothing), and the caps every way of sending passes.</summary>
public sealed class AccountPolicyTests(AccountPolicyApp app) : IClassFixture<AccountPolicyApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ADisabledAdminsTokenAdministersNothingNotEvenItsOwnReenabling()
    {
        using var disabledAdmin = await app.NewUserAsync("Admin");
        using var admin = await app.AdminAsync();
        (await admin.PostAsync($"/api/users/{disabledAdmin.Id}/disable", null, Ct)).EnsureSuccessStatusCode();

        using var create = await disabledAdmin.Client.PostAsJsonAsync("/api/users", new { email = $"x-{Guid.NewGuid():N}@e2e.test", password = "User-Pass-123", role = "Admin" }, Ct);
        using var enable = await disabledAdmin.Client.PostAsync($"/api/users/{disabledAdmin.Id}/enable", null, Ct);
        using var list = await disabledAdmin.Client.GetAsync("/api/users", Ct);

        create.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        enable.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        list.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await create.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString().ShouldNotBeNullOrEmpty();
        var users = await admin.GetFromJsonAsync<JsonElement>("/api/users", Ct);
        users.EnumerateArray().Single(u => u.GetProperty("id").GetString() == disabledAdmin.Id).GetProperty("disabled").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task DisablingAnOperatorStopsTheirLiveReplyAndRecordsWhy()
    {
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Spending ", "and spending"], HoldAfterChunks = 1, Usage = new FakeUsage(20, 4) });
        using var user = await app.NewUserAsync(apiKey: key);
        var agentId = await app.CreateAgentAsync();
        using var response = await user.SendAsync(agentId, "Go on", ct: Ct);
        await using var events = SseReader.ReadAsync(response, Ct).GetAsyncEnumerator(Ct);
        (await events.MoveNextAsync()).ShouldBeTrue();
        var traceId = events.Current.Data.GetProperty("traceId").GetString()!;

        using var admin = await app.AdminAsync();
        (await admin.PostAsync($"/api/users/{user.Id}/disable", null, Ct)).EnsureSuccessStatusCode();
        var rest = new List<ReceivedEvent>();
        while (await events.MoveNextAsync())
        {
            rest.Add(events.Current);
        }

        rest[^1].Type.ShouldBe("cost", "a stopped reply ends with its cost");
        app.Fake.RequestsFor(key).ShouldHaveSingleItem().ClientAborted.ShouldBeTrue();
        var session = await app.Database.SingleAsync("SELECT status, error FROM trace_sessions WHERE \"taskTraceId\" = $1", traceId);
        session["status"].ShouldBe("cancelled");
        session["error"].ShouldBe("Stopped: the account was disabled.");
    }

    [Fact]
    public async Task AReplyWhoseUpstreamCallIsStillOpeningWhenTheAccountIsDisabledStopsAsSoonAsItStarts()
    {
        var answer = new TaskCompletionSource();
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Should ", "never ", "run"], FirstByteGate = answer.Task, ChunkDelay = TimeSpan.FromMilliseconds(100) });
        using var user = await app.NewUserAsync(apiKey: key);
        var agentId = await app.CreateAgentAsync();
        var sending = user.SendAsync(agentId, "Quick, before they notice", ct: Ct);
        await app.Fake.WaitForRequestAsync(r => r.ApiKey == key, TimeSpan.FromSeconds(10));

        using var admin = await app.AdminAsync();
        (await admin.PostAsync($"/api/users/{user.Id}/disable", null, Ct)).EnsureSuccessStatusCode();
        answer.SetResult();
        using var response = await sending;
        var events = await SseReader.ReadAllAsync(response, Ct);

        events[^1].Type.ShouldBe("cost", "stopped, not done");
        var session = await app.Database.SingleAsync("SELECT status, error FROM trace_sessions WHERE \"taskTraceId\" = $1", events[0].Data.GetProperty("traceId").GetString()!);
        session["status"].ShouldBe("cancelled");
        session["error"].ShouldBe("Stopped: the account was disabled.");
    }

    [Fact]
    public async Task LiveRepliesBeyondTheCapAre429UntilOneEnds()
    {
        var release = new TaskCompletionSource();
        var key = CommandCenterApp.NewApiKey();
        app.Fake.SetScenario(key, new FakeScenario { Chunks = ["Busy ", "busy"], HoldAfterChunks = 1, HoldUntil = release.Task });
        using var user = await app.NewUserAsync(apiKey: key);
        var agentId = await app.CreateAgentAsync();

        using var first = await user.SendAsync(agentId, "one", ct: Ct);
        using var second = await user.SendAsync(agentId, "two", ct: Ct);
        using var third = await user.SendAsync(agentId, "three", ct: Ct);

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        third.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        third.Headers.RetryAfter.ShouldNotBeNull();
        (await third.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString()!.ShouldContain("2 replies being written");
        app.Fake.RequestsFor(key).Count.ShouldBe(2);

        release.SetResult();
        await SseReader.ReadAllAsync(first, Ct);
        await SseReader.ReadAllAsync(second, Ct);
        using var fourth = await user.SendAsync(agentId, "four", ct: Ct);
        fourth.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await SseReader.ReadAllAsync(fourth, Ct))[^1].Type.ShouldBe("done");
    }

    [Fact]
    public async Task ASignInCookieStopsWorkingWithinSecondsOfTheAccountBeingDisabled()
    {
        using var user = await app.NewUserAsync();
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = app.BaseUrl };
        (await browser.PostAsJsonAsync("/api/auth/login?useCookies=true", new { email = user.Email, password = user.Password }, Ct)).EnsureSuccessStatusCode();
        (await browser.GetAsync("/settings", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var admin = await app.AdminAsync();
        (await admin.PostAsync($"/api/users/{user.Id}/disable", null, Ct)).EnsureSuccessStatusCode();

        // Revalidated once its interval (1 s here) has passed: each request after that finds the account disabled.
        var status = await Eventually.UntilAsync(
            async () =>
            {
                using var settings = await browser.GetAsync("/settings", Ct);
                return settings.StatusCode;
            },
            status => status != HttpStatusCode.OK,
            TimeSpan.FromSeconds(15));

        status.ShouldBe(HttpStatusCode.Redirect, "to the sign-in page");
    }
}

/// <summary>The app with three sign-in attempts per address and minute.</summary>
public sealed class SignInLimitedApp : CommandCenterApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("RateLimits:SignInsPerMinute", "3")];
}

public sealed class SignInRateLimitTests(SignInLimitedApp app) : IClassFixture<SignInLimitedApp>
{
    [Fact]
    public async Task SignInAttemptsBeyondTheLimitAre429OnTheApiAndThePageAlike()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = app.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            (await client.PostAsJsonAsync("/api/auth/login", new { email = "guess@e2e.test", password = $"guess-{i}" }, ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        using var api = await client.PostAsJsonAsync("/api/auth/login", new { email = CommandCenterApp.AdminEmail, password = CommandCenterApp.AdminPassword }, ct);
        using var trailingSlash = await client.PostAsJsonAsync("/api/auth/login/", new { email = "guess@e2e.test", password = "guess" }, ct);
        using var page = await client.PostAsync("/Account/Login", new FormUrlEncodedContent([new("Input.Email", "guess@e2e.test"), new("Input.Password", "guess")]), ct);
        using var elsewhere = await client.GetAsync("/health", ct);

        api.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        api.Headers.RetryAfter.ShouldNotBeNull();
        (await api.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("error").GetString()!.ShouldContain("Too many sign-in attempts");
        trailingSlash.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests, "any spelling of the sign-in path counts");
        page.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        (await page.Content.ReadAsStringAsync(ct)).ShouldContain("Too many sign-in attempts");
        elsewhere.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
